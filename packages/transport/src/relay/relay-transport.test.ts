import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';
import { describeTransportContract } from '../testing/contract.js';
import { seededRandom, until } from '../testing/wait.js';
import { createRelayTransport, relayMaxFrameBytes, type RelayTransport } from './relay-transport.js';

const MAX_FRAME = 256 * 1024;
/** Frames up to 4x the server's message limit: the contract's largest frame goes in pieces. */
const FRAGMENTED_MAX = 4 * MAX_FRAME;
let server: SignalingServer;
let roomCounter = 0;

beforeAll(async () => {
  server = await createSignalingServer({ limits: { maxFrameBytes: MAX_FRAME } });
});
afterAll(() => server.close(100));

function relayNetwork(secret?: string) {
  return async () => {
    const room = `contract-${++roomCounter}`;
    const all: RelayTransport[] = [];
    return {
      add: async (peer: string) => {
        const t = createRelayTransport({
          signaling: {
            urls: server.url, room, peer, random: seededRandom(roomCounter),
            ...(secret !== undefined ? { secret } : {}),
          },
          pingIntervalMs: 50,
          maxFrameBytes: FRAGMENTED_MAX,
        });
        all.push(t);
        return t;
      },
      teardown: async () => void (await Promise.all(all.map((t) => t.close()))),
    };
  };
}

const piece = relayMaxFrameBytes({ maxFrameBytes: MAX_FRAME, maxPeersPerRoom: 0, messagesPerSecond: 0 });
const maxFrameBytes = FRAGMENTED_MAX;
describeTransportContract('relay', relayNetwork(), { maxFrameBytes, upStates: ['relay'] });
describeTransportContract('relay with room secret', relayNetwork('s3cret'), { maxFrameBytes, upStates: ['relay'] });

describe('relay transport', () => {
  it('measures RTT with ping frames, fragments frames above the server limit, refuses frames above maxFrameBytes', async () => {
    const net = await relayNetwork()();
    const a = (await net.add('a')) as RelayTransport;
    const b = await net.add('b');
    await until(() => a.links().some((l) => l.peer === 'b' && l.rttMs !== null), 'rtt measured');
    expect(a.links()[0]).toMatchObject({ peer: 'b', state: 'relay' });
    expect(a.maxFrameBytes()).toBe(maxFrameBytes);
    expect(a.send('b', new Uint8Array(maxFrameBytes + 1))).toBe(false);
    const got: Uint8Array[] = [];
    b.on('frame', (_f, p) => got.push(p));
    expect(a.send('b', new Uint8Array(0))).toBe(true); // empty frames are frames too
    await until(() => got.length === 1, 'empty frame');
    expect(got[0]!.length).toBe(0);
    // Just above one piece, exactly one piece, and a whole number of pieces plus one byte.
    const sizes = [piece + 1, piece, 3 * piece + 1];
    const frames = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff));
    for (const f of frames) expect(a.send('b', f)).toBe(true);
    await until(() => got.length === 1 + frames.length, 'fragmented frames');
    expect(got.slice(1).map((g, i) => g.length === sizes[i] && g.every((x, j) => x === frames[i]![j]))).toEqual([true, true, true]);
    await net.teardown();
  });

  it('shows links as connecting while the server is away and resumes after re-join', async () => {
    const own = await createSignalingServer();
    const port = own.port;
    const make = (peer: string) => createRelayTransport({
      signaling: { urls: own.url, room: 'r', peer, random: seededRandom(5), backoff: { initialMs: 20, maxMs: 100 } },
    });
    const a = make('a');
    const b = make('b');
    let restarted: SignalingServer | null = null;
    try {
      await until(() => a.links()[0]?.state === 'relay' && b.links()[0]?.state === 'relay', 'up');
      const states: string[] = [];
      a.on('link', (l) => states.push(l.state));
      await own.close(50);
      await until(() => a.links()[0]?.state === 'connecting', 'connecting while away');
      restarted = await createSignalingServer({ port });
      // Whoever re-joins first may briefly see the other as gone; both end up up again.
      await until(() => a.links()[0]?.state === 'relay' && b.links()[0]?.state === 'relay', 're-joined');
      expect(states).toContain('connecting');
      const got: number[] = [];
      b.on('frame', (_f, p) => got.push(p[0]!));
      expect(a.send('b', new Uint8Array([5]))).toBe(true);
      await until(() => got.includes(5), 'frame after re-join');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await restarted?.close(50);
    }
  });
});

