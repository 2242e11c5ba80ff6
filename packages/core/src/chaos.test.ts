/**
 * Randomized safety check (Raft §5.4 / Figure 3 properties): under seeded drops, partitions,
 * reordering, duplication, restarts and compaction, no two leaders share a term and no two nodes
 * apply different entries at the same index. A failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import { Role } from './roles.js';
import { Network, confState, dec, enc } from './__tests__/network.js';

const IDS = ['a', 'b', 'c', 'd', 'e'];

function run(seed: number, steps: number): void {
  const net = new Network(IDS, { snapshotChunkSize: 8 }, seed, confState(IDS), 'snapshot');
  net.reorder = true;
  net.duplicateRate = 0.05;
  const rand = net.rand;
  const leaders = new Map<number, string>();
  const appliedAt = new Map<number, string>();
  net.onReady = (id, rd) => {
    for (const e of rd.committedEntries) {
      const v = `${e.term}:${dec(e.data)}`;
      const prev = appliedAt.get(e.index);
      if (prev !== undefined && prev !== v) throw new Error(`seed ${seed}: ${id} applied ${v} at ${e.index}, another node ${prev}`);
      appliedAt.set(e.index, v);
    }
  };
  let n = 0;
  for (let step = 0; step < steps; step++) {
    const r = rand();
    const id = IDS[Math.floor(rand() * IDS.length)]!;
    if (r < 0.05) net.isolate(id);
    else if (r < 0.1) net.recover();
    else if (r < 0.13) net.drop(id, IDS[Math.floor(rand() * IDS.length)]!, 0.5);
    else if (r < 0.15) net.restart(id);
    else if (r < 0.17 && net.get(id).appliedIndex > net.get(id).storage.firstIndex()) net.compact(id);
    else if (r < 0.5) {
      try {
        net.node(id).propose(enc(`v${n++}`));
      } catch {
        // no leader known: fine
      }
    }
    for (const t of net.nodes.values()) t.node.tick();
    for (let i = 0; i < 3; i++) {
      for (const nid of IDS) net.handleReady(nid);
      net.deliverAll();
    }
    for (const t of net.nodes.values()) {
      const s = t.node.status();
      if (s.role !== Role.Leader) continue;
      const prev = leaders.get(s.term);
      if (prev !== undefined && prev !== t.id) throw new Error(`seed ${seed}: two leaders in term ${s.term}: ${prev}, ${t.id}`);
      leaders.set(s.term, t.id);
    }
  }
  // Heal and check liveness: the cluster converges and applies a final entry everywhere.
  net.recover();
  net.tickAll(40);
  const lead = net.leader();
  expect(lead, `seed ${seed}`).not.toBeNull();
  net.node(lead!).propose(enc('final'));
  net.tickAll(5);
  for (const nid of IDS) expect(net.appliedData(nid).at(-1), `seed ${seed} node ${nid}`).toBe('final');
}

describe('chaos (seeded)', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`keeps election safety and state machine safety, seed ${seed}`, () => run(seed, 400));
  }
});
