import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from './signaling-server.js';
import { rawClient, type RawClient } from './__tests__/raw-client.js';

const ROOMS = 50;
const PER_ROOM = 10;

let server: SignalingServer;
beforeAll(async () => {
  // All clients come from 127.0.0.1: lift the per-address limit (connection-limits.test.ts covers it).
  server = await createSignalingServer({ limits: { maxConnectionsPerIp: ROOMS * PER_ROOM } });
});
afterAll(() => server.close(500));

describe('signaling server under load', () => {
  it(`${ROOMS * PER_ROOM} clients in ${ROOMS} rooms exchange signals: none lost or misrouted`, async () => {
    const clients: { room: number; peer: string; c: RawClient }[] = [];
    // Connect in batches so the 2-core machine is not flooded with handshakes at once.
    for (let room = 0; room < ROOMS; room++) {
      const batch = await Promise.all(Array.from({ length: PER_ROOM }, async (_, i) => {
        const c = await rawClient(server.url);
        c.send({ type: 'join', room: `room-${room}`, peer: `p${i}` });
        await c.waitFor((m) => m.type === 'joined', 'joined');
        return { room, peer: `p${i}`, c };
      }));
      clients.push(...batch);
    }
    expect(server.stats()).toMatchObject({ rooms: ROOMS, peers: ROOMS * PER_ROOM });

    // Everyone signals everyone else in its room (90 signals per room, 4500 in all).
    for (const { room, peer, c } of clients) {
      for (let j = 0; j < PER_ROOM; j++) {
        const to = `p${j}`;
        if (to !== peer) c.send({ type: 'signal', to, payload: { room, from: peer, to } });
      }
    }
    const expected = PER_ROOM - 1;
    const deadline = Date.now() + 20_000;
    const received = (c: RawClient) => c.messages.filter((m) => m.type === 'signal');
    while (clients.some(({ c }) => received(c).length < expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const { room, peer, c } of clients) {
      const signals = received(c);
      expect(signals.length, `${peer}@room-${room}`).toBe(expected);
      for (const m of signals) {
        if (m.type !== 'signal') continue;
        expect(m.payload).toEqual({ room, from: m.from, to: peer });
      }
      expect(new Set(signals.map((m) => (m.type === 'signal' ? m.from : ''))).size).toBe(expected);
      expect(c.messages.some((m) => m.type === 'error')).toBe(false);
    }
    expect(server.stats().relayedSignals).toBe(ROOMS * PER_ROOM * expected);
    await Promise.all(clients.map(({ c }) => c.close()));
  });
});
