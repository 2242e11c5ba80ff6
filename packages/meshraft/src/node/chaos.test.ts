/**
 * Exactly-once under loss and leader changes: proposals from every node while frames are lost
 * and the leader is cut off now and then. Internal retries put duplicates in the log; the session
 * table must apply each command once, identically on every replica.
 */
import { seededRandom } from '@meshraft/core';
import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type TestCluster } from './__tests__/cluster.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('exactly once under loss and leader changes', () => {
  for (const seed of [1, 2]) {
    it(`every proposal applies once and replicas agree (seed ${seed})`, async () => {
      const rand = seededRandom(seed);
      cluster = testCluster(seed, { loss: 0.1, random: seededRandom(seed + 100) });
      const ids = ['a', 'b', 'c'];
      for (const id of ids) await cluster.start(id, { bootstrap: { voters: ids } });
      const c = cluster;
      const pending: Promise<unknown>[] = [];
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 10; i++) {
          const node = c.node(ids[Math.floor(rand() * ids.length)]!);
          pending.push(node.propose({ type: 'add', delta: 1 }));
        }
        if (round % 2 === 1) {
          // Cut the leader off long enough for an election, then heal.
          const leader = await c.leader();
          for (const other of ids) if (other !== leader.id) c.net.cut(leader.id, other);
          await waitFor(() => ids.some((id) => id !== leader.id && c.node(id).status().role === 'leader'), 'a new leader');
          for (const other of ids) if (other !== leader.id) c.net.heal(leader.id, other);
        }
      }
      const results = await Promise.all(pending);
      expect(results.every((r) => (r as { ok: boolean }).ok)).toBe(true);
      const leader = await c.leader();
      await leader.propose({ type: 'add', delta: 0 });
      const target = leader.status().applied;
      for (const id of ids) {
        await waitFor(() => c.node(id).status().applied >= target, `${id} to catch up`);
        const state = await c.node(id).read({ type: 'get' }, { consistency: 'local' });
        // 40 adds of 1 and one add of 0, each applied exactly once despite duplicate entries.
        expect(state).toEqual({ value: 40, applied: 41 });
      }
    });
  }
});
