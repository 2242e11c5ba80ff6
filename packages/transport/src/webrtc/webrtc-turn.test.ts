/**
 * WebRTC through a real TURN server (coturn), with `iceTransportPolicy: 'relay'` so only relay
 * candidates exist: the link forms only through TURN. Run inside the network namespace wrapper.
 */
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import type { Transport } from '../transport.js';
import { until } from '../testing/wait.js';
import { collect, Harness, untilState } from './__tests__/harness.js';
import { startTurnServer, type TurnServer } from './__tests__/turn-server.js';
import { parseIceServer } from './ice-servers.js';

const h = new Harness();
afterEach(() => h.cleanup());
let turn: TurnServer;
beforeAll(async () => {
  turn = await startTurnServer();
});
afterAll(() => turn?.stop());

const link = (t: Transport, peer: string) => t.links().find((l) => l.peer === peer);

describe('WebRTC through a TURN server (coturn)', () => {
  it('two relay-only peers connect through TURN: the selected pair is relay/relay and frames flow', async () => {
    const s = await h.server();
    const iceServers = [parseIceServer(`${turn.url},${turn.username},${turn.password}`)];
    const opts = { iceServers, iceTransportPolicy: 'relay' as const, relayFallbackMs: 60_000 };
    const a = h.transport(s.url, 'a', opts);
    const b = h.transport(s.url, 'b', opts);
    await untilState(a, 'b', 'webrtc', 40_000);
    await untilState(b, 'a', 'webrtc', 40_000);
    await until(() => link(a, 'b')?.route !== undefined && link(b, 'a')?.route !== undefined, 'routes from getStats', 20_000);
    expect(link(a, 'b')?.route).toEqual({ local: 'relay', remote: 'relay' });
    expect(link(b, 'a')?.route).toEqual({ local: 'relay', remote: 'relay' });
    const atB = collect(b);
    expect(a.send('b', new Uint8Array([7, 7]))).toBe(true);
    await until(() => atB.get('a')?.length === 1, 'a frame through TURN');
    expect(atB.get('a')).toEqual([new Uint8Array([7, 7])]);
  });

  it.each([
    ['wrong TURN credentials', () => [parseIceServer(`${turn.url},${turn.username},not-the-password`)]],
    ['no TURN server configured', () => []],
  ])('%s: no direct link forms; both stay on the signaling relay saying no ICE candidates were gathered', async (_what, servers) => {
    const s = await h.server();
    const opts = { iceServers: servers(), iceTransportPolicy: 'relay' as const, relayFallbackMs: 500 };
    const a = h.transport(s.url, 'a', opts);
    const b = h.transport(s.url, 'b', opts);
    const states: string[] = [];
    a.on('link', (l) => states.push(l.state));
    // Gathering completed with no candidate: a definite answer, not a timeout.
    await until(() => link(a, 'b')?.relayReason === 'no-candidates' && link(b, 'a')?.relayReason === 'no-candidates', 'relayReason no-candidates', 40_000);
    expect(link(a, 'b')?.state).toBe('relay');
    expect(states).not.toContain('webrtc');
    // The signaling relay still carries frames.
    const atB = collect(b);
    a.send('b', new Uint8Array([1]));
    await until(() => atB.get('a')?.length === 1, 'a frame over the signaling relay');
  });
});
