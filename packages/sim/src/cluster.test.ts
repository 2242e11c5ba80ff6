import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { encodeCommand } from './commands.js';
import { RELIABLE_NETWORK } from './network.js';
import { Xoshiro128 } from './random.js';

function cluster(snapshotEvery = 0): Cluster {
  return new Cluster({
    ids: ['n1', 'n2', 'n3'],
    electionTick: 10,
    heartbeatTick: 1,
    sessionTtl: 1000,
    snapshotEvery,
    snapshotChunkSize: 16,
    network: RELIABLE_NETWORK,
    rng: new Xoshiro128(1),
  });
}

function round(c: Cluster): void {
  c.now++;
  c.deliver();
  c.tickNodes();
  c.processReadies();
}

function runUntil(c: Cluster, done: () => boolean, max = 300): void {
  for (let i = 0; i < max && !done(); i++) round(c);
  expect(done()).toBe(true);
}

describe('host loop (SimNode) and Cluster', () => {
  it('a crash between persisting and sending keeps the disk and sends nothing', () => {
    const c = cluster();
    c.startAll();
    const n1 = c.node('n1');
    n1.raw!.campaign();
    expect(n1.handleReady('after-persist')).toBe(false);
    expect(n1.alive).toBe(false);
    expect(c.net.inFlight).toBe(0);
    const other = c.node('n2');
    other.raw!.campaign();
    expect(other.handleReady()).toBe(true);
    expect(c.net.inFlight).toBe(2); // one (pre)vote request per peer
  });

  it('a restarted node rebuilds its state machine from snapshot and log, and rejoins', () => {
    const c = cluster(3);
    c.startAll();
    runUntil(c, () => c.leader() !== undefined);
    const leader = c.leader()!;
    leader.raw!.propose(encodeCommand({ t: 'reg', nonce: 'x' }));
    const client = leader.status()!.lastIndex; // a session id is its register entry's index
    for (let i = 1; i <= 8; i++) {
      leader.raw!.propose(encodeCommand({ t: 'kv', client, seq: i, op: { kind: 'put', key: 'k', value: `v${i}` } }));
    }
    runUntil(c, () => c.nodes.every((n) => n.applied >= 10));
    const victim = c.nodes.find((n) => n !== leader)!;
    expect(victim.disk.snapshot().metadata.index).toBeGreaterThan(0); // it snapshotted and compacted
    c.crash(victim, 'in test');
    c.restart(victim);
    expect(victim.applied).toBe(victim.disk.snapshot().metadata.index);
    runUntil(c, () => victim.applied >= 10);
    expect(victim.sm.read('k')).toEqual({ value: 'v8' });
    expect(c.checker.violations).toEqual([]);
  });
});
