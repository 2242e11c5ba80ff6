/** A scripted WebSocket for signaling-client unit tests: the test plays the server. */
import type { ServerMessage } from '@meshraft/signaling-server/protocol';
import type { WebSocketFactory, WebSocketLike } from '../signaling/websocket.js';

export class FakeSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  // ---- server side ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  fail(): void {
    this.onerror?.({});
    this.close(1006, 'connection refused');
  }

  deliver(msg: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  /** Parsed JSON messages the client sent. */
  json(): { type: string; [k: string]: unknown }[] {
    return this.sent.filter((d): d is string => typeof d === 'string').map((d) => JSON.parse(d) as { type: string });
  }
}

export function fakeSockets(): { factory: WebSocketFactory; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    last: () => sockets[sockets.length - 1]!,
  };
}

export const LIMITS = { maxFrameBytes: 1 << 20, maxPeersPerRoom: 64, messagesPerSecond: 5000 };
