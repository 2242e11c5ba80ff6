import { afterEach, describe, expect, it } from 'vitest';
import { createSignalingServer, DEFAULT_LIMITS, type SignalingServer, type SignalingServerOptions } from './signaling-server.js';
import { isError, rawClient, type RawClient } from './__tests__/raw-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: SignalingServerOptions): Promise<SignalingServer> {
  const s = await createSignalingServer(opts);
  cleanups.push(() => s.close(100));
  return s;
}

/** Opens `count` connections at once from `localAddress` (a loopback address) and sorts them. */
async function flood(url: string, count: number, localAddress = '127.0.0.1'): Promise<{ kept: RawClient[]; refused: RawClient[] }> {
  const clients = await Promise.all(Array.from({ length: count }, () => rawClient(url, { localAddress })));
  for (const c of clients) cleanups.push(() => c.close());
  // A refused connection is answered RATE_LIMITED and closed; a kept one answers a join.
  const outcomes = await Promise.all(clients.map((c, i) => {
    if (c.ws.readyState === c.ws.OPEN) c.send({ type: 'join', room: 'flood', peer: `${localAddress}-${i}` });
    return Promise.race([
      c.closed.then((close) => ({ c, close })),
      c.waitFor((m) => m.type === 'joined', 'joined').then(() => ({ c, close: null })),
    ]);
  }));
  const refused = outcomes.filter((o) => o.close !== null);
  for (const o of refused) {
    expect(o.close).toMatchObject({ code: 1008, reason: 'RATE_LIMITED' });
    expect(o.c.messages.find(isError('RATE_LIMITED'))).toBeDefined();
  }
  return { kept: outcomes.filter((o) => o.close === null).map((o) => o.c), refused: refused.map((o) => o.c) };
}

describe('signaling server connection limits', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_LIMITS.maxConnections).toBe(4096);
    expect(DEFAULT_LIMITS.maxConnectionsPerIp).toBe(256);
  });

  it('refuses a flood from one address beyond maxConnectionsPerIp with RATE_LIMITED; other addresses still get in', async () => {
    const s = await start({ limits: { maxConnectionsPerIp: 8 } });
    const { kept, refused } = await flood(s.url, 30);
    expect(kept).toHaveLength(8);
    expect(refused).toHaveLength(22);
    expect(s.stats()).toMatchObject({ connections: 8, refusedConnections: 22, errors: { RATE_LIMITED: 22 } });

    // Another loopback address has its own allowance.
    const other = await rawClient(s.url, { localAddress: '127.0.0.2' });
    cleanups.push(() => other.close());
    other.send({ type: 'join', room: 'r', peer: 'x' });
    await other.waitFor((m) => m.type === 'joined', 'join from 127.0.0.2');

    // A slot freed on close is available again.
    await kept[0]!.close();
    const again = await rawClient(s.url);
    cleanups.push(() => again.close());
    again.send({ type: 'join', room: 'r', peer: 'y' });
    await again.waitFor((m) => m.type === 'joined', 'join after a slot freed');
  });

  it('refuses connections beyond maxConnections in total, whatever their address', async () => {
    const s = await start({ limits: { maxConnections: 5 } });
    const a = await flood(s.url, 4, '127.0.0.1');
    const b = await flood(s.url, 4, '127.0.0.3');
    expect(a.kept.length + b.kept.length).toBe(5);
    expect(a.refused.length + b.refused.length).toBe(3);
    expect(s.stats().connections).toBe(5);
    expect(s.stats().refusedConnections).toBe(3);
  });

  it('rejects a limit below 1', async () => {
    await expect(createSignalingServer({ limits: { maxConnections: 0 } })).rejects.toThrow(/maxConnections must be an integer >= 1/);
    await expect(createSignalingServer({ limits: { maxConnectionsPerIp: 1.5 } })).rejects.toThrow(/maxConnectionsPerIp/);
  });
});
