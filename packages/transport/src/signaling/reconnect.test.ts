import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../__tests__/fake-scheduler.js';
import { fakeSockets, LIMITS } from '../__tests__/fake-websocket.js';
import { seededRandom } from '../testing/wait.js';
import { createSignalingClient } from './signaling-client.js';

describe('signaling client reconnection (scripted socket, manual clock)', () => {
  it('backs off exponentially with 50-100% jitter, capped, and rotates URLs until one works', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({
      urls: ['ws://one', 'ws://two', 'ws://three'], room: 'r', peer: 'a',
      random: seededRandom(9), scheduler: clock, webSocket: ws.factory, backoff: { initialMs: 100, maxMs: 1000 },
    });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      ws.last().fail();
      const [due] = clock.pending();
      delays.push(due! - clock.now());
      clock.advance(due! - clock.now());
    }
    const caps = [100, 200, 400, 800, 1000, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d, `attempt ${i} (seed 9)`).toBeGreaterThanOrEqual(caps[i]! / 2);
      expect(d, `attempt ${i} (seed 9)`).toBeLessThanOrEqual(caps[i]!);
    });
    expect(ws.sockets.map((s) => s.url)).toEqual([
      'ws://one', 'ws://two', 'ws://three', 'ws://one', 'ws://two', 'ws://three', 'ws://one', 'ws://two',
    ]);
    // Success resets the backoff; the URL that worked is retried first after a drop.
    const s = ws.last();
    s.open();
    expect(s.json()[0]).toMatchObject({ type: 'join', room: 'r', peer: 'a', version: 1 });
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS });
    expect(client.status()).toBe('joined');
    s.close(1006);
    const [due] = clock.pending();
    expect(due! - clock.now()).toBeLessThanOrEqual(100);
    clock.advance(100);
    expect(ws.last().url).toBe('ws://two');
    void client.close();
  });

  it('re-joins after a drop with the same session and reports only presence changes', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({
      urls: 'ws://x', room: 'r', peer: 'a', random: seededRandom(1), scheduler: clock, webSocket: ws.factory,
    });
    const events: string[] = [];
    client.on('peer-joined', (p) => events.push(`+${p}`));
    client.on('peer-left', (p) => events.push(`-${p}`));
    const first = ws.last();
    first.open();
    first.deliver({ type: 'joined', room: 'r', peer: 'a', peers: ['b', 'c'], limits: LIMITS });
    expect(events).toEqual(['+b', '+c']);
    first.close(1006);
    expect(client.peers()).toEqual(['b', 'c']); // kept while away
    expect(client.sendSignal('c', 'queued')).toBe(true);
    expect(client.sendSignal('b', 'for b')).toBe(true);
    clock.advance(10_000);
    const second = ws.last();
    expect(second).not.toBe(first);
    second.open();
    second.deliver({ type: 'joined', room: 'r', peer: 'a', peers: ['c', 'd'], limits: LIMITS });
    expect(events).toEqual(['+b', '+c', '-b', '+d']);
    const joins = [first, second].map((s) => s.json().find((m) => m.type === 'join')!);
    expect(joins[1]!.session).toBe(joins[0]!.session);
    // The queued signal to c is flushed; the one to b (who left meanwhile) is dropped.
    expect(second.json().filter((m) => m.type === 'signal')).toEqual([{ type: 'signal', to: 'c', payload: 'queued' }]);
    void client.close();
  });

  it('pings and drops a connection that stays silent for three ping periods', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({
      urls: 'ws://x', room: 'r', peer: 'a', random: seededRandom(2), scheduler: clock, webSocket: ws.factory,
      pingIntervalMs: 1000,
    });
    const s = ws.last();
    s.open();
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS });
    clock.advance(1000);
    expect(s.json().filter((m) => m.type === 'ping')).toHaveLength(1);
    s.deliver({ type: 'pong', id: 1 }); // heard at t=1000
    clock.advance(3000);
    expect(client.status()).toBe('joined'); // silent for exactly 3 periods: still fine
    clock.advance(1000);
    expect(client.status()).toBe('disconnected');
    expect(s.readyState).toBe(3);
    expect(clock.pending()).toHaveLength(1); // exactly one reconnect scheduled
    expect(client.stats().reconnectAttempts).toBe(1);
    clock.advance(10_000);
    expect(ws.sockets).toHaveLength(2);
    void client.close();
  });

  it('counts malformed server messages and keeps going', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({ urls: 'ws://x', room: 'r', peer: 'a', scheduler: clock, webSocket: ws.factory });
    const errors: string[] = [];
    client.on('error', (e) => errors.push((e as { code?: string }).code ?? '?'));
    const s = ws.last();
    s.open();
    s.onmessage?.({ data: '{oops' });
    s.onmessage?.({ data: JSON.stringify({ type: 'joined', peers: 'nope' }) });
    s.onmessage?.({ data: new Uint8Array([9, 9, 9]).buffer });
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS });
    expect(client.stats().malformed).toBe(3);
    expect(errors).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME']);
    expect(client.status()).toBe('joined');
    void client.close();
  });

  it('refuses frames beyond maxBufferedBytes counting queued, sealing and socket-buffered bytes', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({
      urls: 'ws://x', room: 'r', peer: 'a', scheduler: clock, webSocket: ws.factory, maxBufferedBytes: 1000,
    });
    expect(client.sendFrame('b', new Uint8Array(600))).toBe(true); // queued while connecting
    expect(client.sendFrame('b', new Uint8Array(600))).toBe(false);
    expect(client.bufferedAmount()).toBe(600);
    const s = ws.last();
    s.open();
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: ['b'], limits: LIMITS });
    expect(s.sent.filter((d) => typeof d !== 'string')).toHaveLength(1);
    expect(client.bufferedAmount()).toBe(0);
    s.bufferedAmount = 900; // the socket has not drained yet
    expect(client.sendFrame('b', new Uint8Array(200))).toBe(false);
    s.bufferedAmount = 0;
    expect(client.sendFrame('b', new Uint8Array(200))).toBe(true);
    void client.close();
  });

  it('abandons a connection attempt that does not get joined in time and tries the next URL', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({
      urls: ['ws://blackhole', 'ws://ok'], room: 'r', peer: 'a', random: seededRandom(4), scheduler: clock,
      webSocket: ws.factory, connectTimeoutMs: 5000, backoff: { initialMs: 100, maxMs: 100 },
    });
    const stuck = ws.last();
    clock.advance(4999);
    expect(ws.sockets).toHaveLength(1);
    clock.advance(1);
    expect(stuck.readyState).toBe(3);
    clock.advance(100);
    expect(ws.sockets.map((s) => s.url)).toEqual(['ws://blackhole', 'ws://ok']);
    const ok = ws.last();
    ok.open();
    ok.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS });
    clock.advance(6000); // past the connect timeout: joining cleared it
    expect(client.status()).toBe('joined');
    expect(ws.sockets).toHaveLength(2);
    void client.close();
  });
});

