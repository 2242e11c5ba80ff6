import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';
import { createSignalingClient, type SignalingClient, type SignalingClientOptions } from './signaling-client.js';
import { nextEvent, seededRandom, until } from '../testing/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(opts: Parameters<typeof createSignalingServer>[0] = {}): Promise<SignalingServer> {
  const s = await createSignalingServer(opts);
  cleanups.push(() => s.close(100));
  return s;
}

function client(opts: Omit<SignalingClientOptions, 'random'>): SignalingClient {
  const c = createSignalingClient({ random: seededRandom(1), backoff: { initialMs: 20, maxMs: 200 }, ...opts });
  cleanups.push(() => c.close());
  return c;
}

describe('signaling client', () => {
  it('joins, sees presence, exchanges signals and frames', async () => {
    const s = await server();
    const a = client({ urls: s.url, room: 'r', peer: 'a' });
    await a.whenJoined();
    const b = client({ urls: s.url, room: 'r', peer: 'b' });
    const [joinedPeer] = await nextEvent<[string]>((l) => a.on('peer-joined', l));
    expect(joinedPeer).toBe('b');
    await b.whenJoined();
    expect(b.peers()).toEqual(['a']);

    const gotSignal = nextEvent<[string, unknown]>((l) => b.on('signal', l));
    expect(a.sendSignal('b', { sdp: 'offer', n: 1 })).toBe(true);
    expect(await gotSignal).toEqual(['a', { sdp: 'offer', n: 1 }]);

    const gotFrame = nextEvent<[string, Uint8Array]>((l) => a.on('frame', l));
    expect(b.sendFrame('a', new Uint8Array([1, 2, 3]))).toBe(true);
    const [from, bytes] = await gotFrame;
    expect(from).toBe('b');
    expect([...bytes]).toEqual([1, 2, 3]);

    const left = nextEvent<[string]>((l) => a.on('peer-left', l));
    await b.close();
    expect(await left).toEqual(['b']);
    expect(a.sendSignal('b', 'x')).toBe(false);
  });

  it('seals signals and frames with the room secret; a peer without it is dropped and counted', async () => {
    const s = await server();
    const a = client({ urls: s.url, room: 'r', peer: 'a', secret: 'hunter2' });
    const b = client({ urls: s.url, room: 'r', peer: 'b', secret: 'hunter2' });
    const eve = client({ urls: s.url, room: 'r', peer: 'eve', secret: 'wrong' });
    const mallory = client({ urls: s.url, room: 'r', peer: 'mallory' }); // no secret at all
    await Promise.all([a.whenJoined(), b.whenJoined(), eve.whenJoined(), mallory.whenJoined()]);
    await until(() => a.peers().length === 3 && b.peers().length === 3, 'presence');
    const eveGot: unknown[] = [];
    eve.on('frame', (f, p) => eveGot.push([f, p]));
    mallory.on('frame', (f, p) => eveGot.push([f, p]));
    a.sendFrame('eve', new Uint8Array([1]));
    a.sendFrame('mallory', new Uint8Array([1]));

    const frames: [string, number[]][] = [];
    a.on('frame', (f, p) => frames.push([f, [...p]]));
    const signals: unknown[] = [];
    a.on('signal', (_f, p) => signals.push(p));
    const errors: string[] = [];
    a.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message));

    eve.sendFrame('a', new Uint8Array([6, 6, 6]));
    eve.sendSignal('a', { evil: true });
    mallory.sendFrame('a', new Uint8Array([6]));
    mallory.sendSignal('a', { evil: true });
    for (let i = 0; i < 20; i++) b.sendFrame('a', new Uint8Array([i]));
    b.sendSignal('a', { ice: 'candidate' });
    await until(() => frames.length === 20 && signals.length === 1, 'sealed deliveries');
    await until(() => a.stats().authFailures === 4, 'auth failures counted');
    await until(() => eve.stats().authFailures === 1, 'eve cannot read a sealed frame');
    // Mallory gets the sealed bytes but, having no secret, only ciphertext.
    await until(() => eveGot.length === 1, 'mallory got ciphertext');
    expect((eveGot[0] as [string, Uint8Array])[1].length).toBe(1 + 28);
    expect(frames.every(([f]) => f === 'b')).toBe(true);
    expect(frames.map(([, p]) => p[0])).toEqual([...Array(20).keys()]); // in order
    expect(signals).toEqual([{ ice: 'candidate' }]);
    expect(errors.filter((c) => c === 'AUTH_FAILED')).toHaveLength(4);
  });

  it('reconnects with backoff, re-joins, fails over to another URL and flushes its queue', async () => {
    const s1 = await server();
    const s2 = await server();
    const a = client({ urls: [s1.url, s2.url], room: 'r', peer: 'a' });
    const b = client({ urls: [s1.url, s2.url], room: 'r', peer: 'b' });
    await Promise.all([a.whenJoined(), b.whenJoined()]);
    await until(() => a.peers().includes('b'), 'presence');

    const reconnected = Promise.all([
      nextEvent<[readonly string[]]>((l) => a.on('joined', l), (peers) => peers.includes('b')),
      nextEvent<[readonly string[]]>((l) => b.on('joined', l)),
    ]);
    await s1.close(50);
    // While disconnected the send is queued (presence is kept), then flushed after re-join.
    await until(() => a.status() !== 'joined', 'a notices the outage');
    const got = nextEvent<[string, unknown]>((l) => b.on('signal', l));
    expect(a.sendSignal('b', 'queued')).toBe(true);
    await reconnected;
    expect(await got).toEqual(['a', 'queued']);
    expect(s2.stats().peers).toBe(2);
    expect(a.stats().reconnectAttempts).toBeGreaterThan(0);
  });

  it('bounds the queue while disconnected', async () => {
    const a = client({ urls: 'ws://127.0.0.1:1/none', room: 'r', peer: 'a', maxQueue: 3 });
    const results = [1, 2, 3, 4, 5].map(() => a.sendSignal('b', 'x'));
    expect(results).toEqual([true, true, true, false, false]);
    expect(a.stats().queueDrops).toBe(2);
  });

  it('reports server errors as typed SignalingError', async () => {
    const s = await server({ tokens: ['good'] });
    const a = client({ urls: s.url, room: 'r', peer: 'a', token: 'bad' });
    const [err] = await nextEvent<[Error]>((l) => a.on('error', l));
    expect(err).toMatchObject({ code: 'SIGNALING', reason: 'UNAUTHORIZED' });
    const ok = client({ urls: s.url, room: 'r', peer: 'b', token: 'good' });
    await ok.whenJoined();
  });

  it("reconnects at once on the browser's online event instead of waiting out the backoff", async () => {
    const s1 = await server();
    const url = s1.url;
    const port = s1.port;
    await s1.close(50);
    // Node has no window events: stand in a global EventTarget the way a browser has one.
    const target = new EventTarget();
    const g = globalThis as unknown as { addEventListener?: unknown; removeEventListener?: unknown };
    g.addEventListener = target.addEventListener.bind(target);
    g.removeEventListener = target.removeEventListener.bind(target);
    try {
      const a = client({ urls: url, room: 'r', peer: 'a', backoff: { initialMs: 600_000, maxMs: 600_000 } });
      await until(() => a.stats().reconnectAttempts === 1 && a.status() === 'disconnected', 'first attempt failed');
      await server({ port });
      target.dispatchEvent(new Event('online'));
      await a.whenJoined();
      expect(a.stats().reconnectAttempts).toBe(1);
    } finally {
      delete g.addEventListener;
      delete g.removeEventListener;
    }
  });

  it('gives up on a server that accepts TCP but never answers the handshake, without crashing', async () => {
    const silent = net.createServer(() => {}); // holds connections open, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (sock) => sockets.add(sock));
    cleanups.push(async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const s = await server();
    const port = (silent.address() as net.AddressInfo).port;
    const a = client({ urls: [`ws://127.0.0.1:${port}/signal`, s.url], room: 'r', peer: 'a', connectTimeoutMs: 50 });
    await a.whenJoined();
    expect(a.stats().reconnectAttempts).toBe(1);
    // Let the aborted handshake's deferred error event fire: it must find a listener.
    await new Promise((r) => setTimeout(r, 20));
  });
});

