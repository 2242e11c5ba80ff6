/** A bare WebSocket test client that records every server message (no reconnect, no crypto). */
import WebSocket from 'ws';
import { decodeRelayFrame, type ServerMessage } from '../protocol.js';

export interface RawClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  readonly frames: { from: string; payload: Uint8Array }[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  sendRaw(data: string | Uint8Array): void;
  /** Resolve with the first message (already received or future) matching `pred`. */
  waitFor(pred: (m: ServerMessage) => boolean, what?: string): Promise<ServerMessage>;
  close(): Promise<void>;
}

export async function rawClient(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, options);
  const messages: ServerMessage[] = [];
  const frames: { from: string; payload: Uint8Array }[] = [];
  const waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => {
    const buf = data as Buffer;
    if (isBinary) {
      const f = decodeRelayFrame(new Uint8Array(buf));
      if (f) frames.push({ from: f.peer, payload: f.payload });
      return;
    }
    const msg = JSON.parse(buf.toString()) as ServerMessage;
    messages.push(msg);
    for (const w of [...waiters]) {
      if (w.pred(msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws, messages, frames, closed,
    send: (msg) => ws.send(JSON.stringify(msg)),
    sendRaw: (data) => ws.send(data),
    waitFor(pred, what = 'message') {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

export const isError = (code: string) => (m: ServerMessage): boolean => m.type === 'error' && m.code === code;
