import { afterEach, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';
import { createSignalingClient, type SignalingClient, type SignalingClientOptions } from './signaling-client.js';
import { createPlatformWebSocket } from './websocket.node.js';
import type { WebSocketLike } from './websocket.js';
import { seededRandom, until } from '../testing/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(opts: Omit<SignalingClientOptions, 'random'>): SignalingClient {
  const c = createSignalingClient({ random: seededRandom(1), backoff: { initialMs: 20, maxMs: 200 }, ...opts });
  cleanups.push(() => c.close());
  return c;
}

/** A real socket whose incoming messages are recorded, as a server or a path in between could. */
function capturingSocket(): { factory: (url: string) => WebSocketLike; captured: unknown[]; socket: () => WebSocketLike } {
  const captured: unknown[] = [];
  let last: WebSocketLike | null = null;
  return {
    captured,
    socket: () => last!,
    factory: (url) => {
      const ws = createPlatformWebSocket(url);
      (ws as unknown as EventTarget).addEventListener('message', (ev) => captured.push((ev as MessageEvent).data));
      last = ws;
      return ws;
    },
  };
}

/** Hands a captured message to the client again, exactly as if the server had sent it twice. */
function replay(socket: WebSocketLike, data: unknown): void {
  socket.onmessage!({ data });
}

describe('sealed message replay', () => {
  it('drops a captured frame and signal delivered again, counts them and reports REPLAYED', async () => {
    const s: SignalingServer = await createSignalingServer();
    cleanups.push(() => s.close(100));
    const tap = capturingSocket();
    const a = client({ urls: s.url, room: 'r', peer: 'a', secret: 'k' });
    const b = client({ urls: s.url, room: 'r', peer: 'b', secret: 'k', webSocket: tap.factory });
    await Promise.all([a.whenJoined(), b.whenJoined()]);
    await until(() => a.peers().includes('b'), 'presence');
    const frames: number[][] = [];
    const signals: unknown[] = [];
    const errors: string[] = [];
    b.on('frame', (_f, p) => frames.push([...p]));
    b.on('signal', (_f, p) => signals.push(p));
    b.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message));

    a.sendFrame('b', new Uint8Array([1, 2, 3]));
    a.sendSignal('b', { sdp: 'offer' });
    await until(() => frames.length === 1 && signals.length === 1, 'first delivery');
    const frame = tap.captured.find((d) => typeof d !== 'string');
    const signal = tap.captured.find((d) => typeof d === 'string' && d.includes('"signal"'));
    expect(frame).toBeDefined();
    expect(signal).toBeDefined();

    replay(tap.socket(), frame);
    replay(tap.socket(), signal);
    await until(() => b.stats().replaysDropped === 2, 'both replays dropped');
    // Fresh messages still flow after the replays.
    a.sendFrame('b', new Uint8Array([4]));
    await until(() => frames.length === 2, 'fresh frame after replays');
    expect(frames).toEqual([[1, 2, 3], [4]]);
    expect(signals).toEqual([{ sdp: 'offer' }]);
    expect(errors.filter((c) => c === 'REPLAYED')).toHaveLength(2);
    expect(b.stats().authFailures).toBe(0);
  });

  it('accepts a restarted sender (a later epoch) and drops what its previous run sent', async () => {
    const s: SignalingServer = await createSignalingServer();
    cleanups.push(() => s.close(100));
    const tap = capturingSocket();
    const b = client({ urls: s.url, room: 'r', peer: 'b', secret: 'k', webSocket: tap.factory });
    const a1 = client({ urls: s.url, room: 'r', peer: 'a', secret: 'k' });
    await Promise.all([a1.whenJoined(), b.whenJoined()]);
    await until(() => a1.peers().includes('b'), 'presence');
    const frames: number[][] = [];
    b.on('frame', (_f, p) => frames.push([...p]));
    a1.sendFrame('b', new Uint8Array([1]));
    await until(() => frames.length === 1, 'first run delivered');
    const old = tap.captured.find((d) => typeof d !== 'string');
    await a1.close();
    await until(() => !b.peers().includes('a'), 'first run left');

    const a2 = client({ urls: s.url, room: 'r', peer: 'a', secret: 'k' });
    await a2.whenJoined();
    await until(() => a2.peers().includes('b') && b.peers().includes('a'), 'second run present');
    a2.sendFrame('b', new Uint8Array([2]));
    await until(() => frames.length === 2, 'second run delivered (its counter starts at 0 again)');
    replay(tap.socket(), old);
    await until(() => b.stats().replaysDropped === 1, 'previous run replay dropped');
    expect(frames).toEqual([[1], [2]]);
  });
});
