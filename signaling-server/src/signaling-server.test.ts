import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRelayFrame, type ServerMessage } from './protocol.js';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from './signaling-server.js';
import { isError, rawClient, type RawClient } from './__tests__/raw-client.js';
import { cleanups, joined, start } from './__tests__/server-fixture.js';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('signaling server', () => {
  it('relays presence, signals and binary frames between named peers of one room only', async () => {
    const s = await start();
    const a = await joined(s.url, 'r1', 'a');
    const b = await joined(s.url, 'r1', 'b');
    const other = await joined(s.url, 'r2', 'a'); // same peer id, other room: fine
    expect(a.messages[0]).toMatchObject({ type: 'joined', peers: [] });
    expect(b.messages[0]).toMatchObject({ type: 'joined', peers: ['a'] });
    await a.waitFor((m) => m.type === 'peer-joined' && m.peer === 'b');

    b.send({ type: 'signal', to: 'a', payload: { sdp: 'x' } });
    expect(await a.waitFor((m) => m.type === 'signal')).toEqual({ type: 'signal', from: 'b', payload: { sdp: 'x' } });

    a.sendRaw(encodeRelayFrame('b', new Uint8Array([7, 8, 9])));
    await until(() => b.frames.length === 1);
    expect(b.frames[0]!.from).toBe('a');
    expect([...b.frames[0]!.payload]).toEqual([7, 8, 9]);
    expect(other.frames).toEqual([]);
    expect(other.messages.filter((m) => m.type !== 'joined')).toEqual([]);

    await b.close();
    await a.waitFor((m) => m.type === 'peer-left' && m.peer === 'b');
    const stats = (await getJson(`http://127.0.0.1:${s.port}/stats`)).body as Record<string, number>;
    expect(stats).toMatchObject({ rooms: 2, peers: 2, relayedFrames: 1, relayedBytes: 3, relayedSignals: 1 });
    expect(await getJson(`http://127.0.0.1:${s.port}/healthz`)).toEqual({ status: 200, body: { ok: true } });
  });

  it('answers bad input with typed error frames and stays up', async () => {
    const s = await start({ limits: { maxFrameBytes: 1024, maxJsonBytes: 512, maxPeersPerRoom: 4 } });
    const a = await joined(s.url, 'r', 'a');
    let n = 0;
    // The same error code is answered at most once per second per connection, so each case
    // gets a fresh connection.
    const expectError = async (code: string, send: (c: RawClient) => void, join = true): Promise<RawClient> => {
      const c = join ? await joined(s.url, `x${++n}`, 'p') : await rawClient(s.url);
      if (!join) cleanups.push(() => c.close());
      send(c);
      await c.waitFor(isError(code), code);
      return c;
    };

    await expectError('MALFORMED', (c) => c.sendRaw(new Uint8Array([0xde, 0xad, 0xbe, 0xef])));
    await expectError('MALFORMED', (c) => c.sendRaw(new Uint8Array([0x01, 40, 0x61])));
    await expectError('MALFORMED', (c) => c.sendRaw('{not json'));
    await expectError('MALFORMED', (c) => c.send({ type: 'teleport' }));
    await expectError('MALFORMED', (c) => c.send([1, 2, 3]));
    await expectError('MALFORMED', (c) => c.send({ type: 'join', room: 'r', peer: '' }), false);
    await expectError('FRAME_TOO_LARGE', (c) => c.sendRaw(encodeRelayFrame('a', new Uint8Array(2000))));
    await expectError('FRAME_TOO_LARGE', (c) => c.send({ type: 'signal', to: 'a', payload: 'x'.repeat(600) }));
    const unknown = await expectError('UNKNOWN_TARGET', (c) => c.send({ type: 'signal', to: 'ghost', payload: 1 }));
    expect(unknown.messages.find(isError('UNKNOWN_TARGET'))).toMatchObject({ peer: 'ghost' });
    await expectError('UNKNOWN_TARGET', (c) => c.sendRaw(encodeRelayFrame('ghost', new Uint8Array([1]))));
    await expectError('NOT_JOINED', (c) => c.send({ type: 'signal', to: 'a', payload: 1 }), false);
    await expectError('NOT_JOINED', (c) => c.sendRaw(encodeRelayFrame('a', new Uint8Array([1]))), false);
    await expectError('ALREADY_JOINED', (c) => c.send({ type: 'join', room: 'r2', peer: 'z' }));
    const dup = await expectError('DUPLICATE_PEER', (c) => c.send({ type: 'join', room: 'r', peer: 'a' }), false);
    expect((await dup.closed).code).toBe(1008);
    const old = await expectError('VERSION_MISMATCH', (c) => c.send({ type: 'join', room: 'r', peer: 'v', version: 99 }), false);
    expect((await old.closed).code).toBe(1008);
    for (const peer of ['b', 'c', 'd']) await joined(s.url, 'r', peer);
    const full = await expectError('ROOM_FULL', (c) => c.send({ type: 'join', room: 'r', peer: 'late' }), false);
    expect((await full.closed).code).toBe(1008);

    // A message above the hard cap (4x the limits) is closed by ws itself with 1009.
    const huge = await rawClient(s.url);
    huge.sendRaw(new Uint8Array(8 * 1024 * 1024));
    expect((await huge.closed).code).toBe(1009);

    // Garbage at the TCP level: not HTTP at all, and invalid WebSocket framing after the upgrade.
    await new Promise<void>((resolve) => {
      const sock = net.connect(s.port, '127.0.0.1', () => sock.end(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10])));
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
      sock.resume();
    });
    const badFraming = await rawClient(s.url);
    (badFraming.ws as unknown as { _socket: net.Socket })._socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect((await badFraming.closed).code).toBe(1002);

    // The server is still up and still relays.
    const b = await joined(s.url, 'r-after', 'b');
    const c = await joined(s.url, 'r-after', 'c');
    c.sendRaw(encodeRelayFrame('b', new Uint8Array([42])));
    await until(() => b.frames.length === 1);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    const stats = (await getJson(`http://127.0.0.1:${s.port}/stats`)).body as { errors: Record<string, number> };
    expect(stats.errors).toMatchObject({ MALFORMED: 6, FRAME_TOO_LARGE: 2, UNKNOWN_TARGET: 2, DUPLICATE_PEER: 1 });
  });

  it('drops messages over the rate limit with RATE_LIMITED and keeps the connection', async () => {
    const s = await start({ limits: { messagesPerSecond: 50 } });
    const a = await joined(s.url, 'r', 'a');
    const b = await joined(s.url, 'r', 'b');
    for (let i = 0; i < 500; i++) b.sendRaw(encodeRelayFrame('a', new Uint8Array([i & 0xff])));
    await b.waitFor(isError('RATE_LIMITED'), 'RATE_LIMITED');
    const errors = b.messages.filter(isError('RATE_LIMITED')).length;
    expect(errors).toBeLessThanOrEqual(2); // one notice per second, not one per dropped message
    await until(() => s.stats().errors.RATE_LIMITED! >= 400);
    expect(a.frames.length).toBeLessThan(100);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
  });

  it('pauses a sender while its target is congested, so nothing is dropped and the sender sees backpressure', async () => {
    const s = await start({ limits: { relayHighWaterBytes: 256 * 1024 } });
    const slow = await joined(s.url, 'r', 'slow');
    const fast = await joined(s.url, 'r', 'fast');
    slow.ws.pause();
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 300; i++) fast.sendRaw(encodeRelayFrame('slow', chunk));
    // The server stops reading from fast, so fast's own socket buffer fills up.
    await until(() => s.stats().pauses > 0 && fast.ws.bufferedAmount > 0);
    expect(s.stats().relayedFrames).toBeLessThan(300);
    slow.ws.resume();
    await until(() => slow.frames.length === 300);
    expect(s.stats()).toMatchObject({ relayedFrames: 300, droppedFrames: 0 });
    expect(fast.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('drops frames for a peer that does not read (TARGET_CONGESTED) instead of buffering without bound', async () => {
    const s = await start({ limits: { maxBufferedBytes: 256 * 1024, relayHighWaterBytes: 64 * 1024 * 1024 } });
    const slow = await joined(s.url, 'r', 'slow');
    const fast = await joined(s.url, 'r', 'fast');
    slow.ws.pause(); // stops reading: TCP fills up, then the server's buffer for it grows
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 300; i++) fast.sendRaw(encodeRelayFrame('slow', chunk));
    await fast.waitFor(isError('TARGET_CONGESTED'), 'TARGET_CONGESTED');
    expect(s.stats().droppedFrames).toBeGreaterThan(0);
    slow.ws.resume();
    await until(() => s.stats().relayedFrames + s.stats().droppedFrames === 300);
    await until(() => slow.frames.length === s.stats().relayedFrames);
    expect(slow.frames.length + s.stats().droppedFrames).toBe(300);
  });

  it('requires a valid access token when configured', async () => {
    const s = await start({ tokens: ['t1'] });
    for (const token of [undefined, 'wrong']) {
      const c = await joined(s.url, 'r', 'a', token ? { token } : {});
      expect(c.messages[0]).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
      expect((await c.closed).code).toBe(1008);
    }
    const ok = await joined(s.url, 'r', 'a', { token: 't1' });
    expect(ok.messages[0]).toMatchObject({ type: 'joined' });
  });

  it('lets the same client session take over its peer id without a leave/join flap', async () => {
    const s = await start();
    const watcher = await joined(s.url, 'r', 'w');
    const first = await joined(s.url, 'r', 'a', { session: 's1' });
    const second = await joined(s.url, 'r', 'a', { session: 's1' });
    expect(second.messages[0]).toMatchObject({ type: 'joined', peers: ['w'] });
    expect((await first.closed).code).toBe(4000);
    second.send({ type: 'signal', to: 'w', payload: 'still here' });
    await watcher.waitFor((m) => m.type === 'signal');
    expect(watcher.messages.filter((m) => m.type === 'peer-left')).toEqual([]);
    expect(s.stats().peers).toBe(2);
  });

  it('drops connections that stop answering pings', async () => {
    const s = await start({ limits: { pingIntervalMs: 30 } });
    const a = await joined(s.url, 'r', 'a');
    // No automatic pong replies: the socket looks alive to TCP but never answers.
    const dead = await rawClient(s.url, { autoPong: false });
    cleanups.push(() => dead.close());
    dead.send({ type: 'join', room: 'r', peer: 'dead' });
    await a.waitFor((m) => m.type === 'peer-left' && m.peer === 'dead', 'dead peer dropped');
    expect(s.stats().errors.TIMEOUT).toBeGreaterThanOrEqual(1);
  });

  it('closes connections that never join', async () => {
    const s = await start({ limits: { joinTimeoutMs: 30 } });
    const idle = await rawClient(s.url);
    cleanups.push(() => idle.close());
    expect(await idle.closed).toEqual({ code: 1008, reason: 'JOIN_TIMEOUT' });
    const a = await joined(s.url, 'r', 'a');
    await new Promise((r) => setTimeout(r, 60));
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    expect(s.stats().errors.JOIN_TIMEOUT).toBe(1);
  });

  it('shuts down gracefully: close frames to everyone, then stops listening', async () => {
    const s = await createSignalingServer();
    const a = await rawClient(s.url);
    a.send({ type: 'join', room: 'r', peer: 'a' });
    await a.waitFor((m) => m.type === 'joined');
    await s.close(1000);
    expect((await a.closed).code).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();
  });

  it('mounts on a host HTTP server under its path and leaves other routes alone', async () => {
    const host = http.createServer((req, res) => {
      if (signaling.handleRequest(req, res)) return;
      res.end('host page');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
    const signaling = await createSignalingServer({ server: host, path: '/signal' });
    cleanups.push(async () => {
      await signaling.close(100);
      await new Promise<void>((r) => host.close(() => r()));
    });
    const port = (host.address() as { port: number }).port;
    expect(signaling.url).toBe(`ws://127.0.0.1:${port}/signal`);
    const a = await joined(signaling.url, 'r', 'a');
    expect(a.messages[0]).toMatchObject({ type: 'joined' });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('host page');
    expect((await getJson(`http://127.0.0.1:${port}/stats`)).body).toMatchObject({ peers: 1 });
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
