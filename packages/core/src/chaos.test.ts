/**
 * Randomized safety check (Raft §5.4 / Figure 3 properties): under seeded drops, partitions,
 * reordering, duplication, restarts and compaction, no two leaders share a term and no two nodes
 * apply different entries at the same index. A failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import type { ConfChange } from './conf-change.js';
import { ProposalDroppedError } from './raft-errors.js';
import { Role } from './roles.js';
import { Network, confState, dec, enc } from './__tests__/network.js';

const IDS = ['a', 'b', 'c', 'd', 'e'];
const SPARES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

/** A random membership change valid for the leader's current configuration, or null. */
function randomChange(net: Network, lead: string, rand: () => number): ConfChange | null {
  const cs = net.node(lead).raft.trk.confState();
  if (cs.votersOutgoing.length > 0) return cs.autoLeave ? null : { changes: [] };
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const spares = SPARES.filter((id) => !cs.voters.includes(id) && !cs.learners.includes(id));
  const r = rand();
  if (r < 0.3 && spares.length > 0) return { changes: [{ type: rand() < 0.5 ? 'addLearner' : 'addVoter', node: pick(spares) }] };
  if (r < 0.5 && cs.learners.length > 0) return { changes: [{ type: 'addVoter', node: pick(cs.learners) }] };
  if (r < 0.7 && cs.voters.length > 3) return { changes: [{ type: 'remove', node: pick(cs.voters) }] };
  if (spares.length > 0 && cs.voters.length >= 3) {
    return {
      changes: [
        { type: 'remove', node: pick(cs.voters) },
        { type: 'addVoter', node: pick(spares) },
      ],
      transition: rand() < 0.5 ? 'explicit' : 'auto',
    };
  }
  return null;
}

function run(seed: number, steps: number, membership = false): void {
  const net = new Network(IDS, { snapshotChunkSize: 8 }, seed, confState(IDS), 'snapshot');
  if (membership) for (const id of SPARES.filter((x) => !IDS.includes(x))) net.join(id, seed * 7 + id.charCodeAt(0));
  const all = [...net.nodes.keys()];
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
    const id = all[Math.floor(rand() * all.length)]!;
    if (r < 0.05) net.isolate(id);
    else if (r < 0.1) net.recover();
    else if (r < 0.13) net.drop(id, all[Math.floor(rand() * all.length)]!, 0.5);
    else if (r < 0.15) net.restart(id);
    else if (r < 0.17 && net.get(id).appliedIndex > net.get(id).storage.firstIndex()) net.compact(id);
    else if (membership && r < 0.2) {
      const lead = net.leader();
      const cc = lead === null ? null : randomChange(net, lead, rand);
      if (cc !== null) {
        try {
          net.node(lead!).proposeConfChange(cc);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
      }
    } else if (r < 0.5) {
      try {
        net.node(id).propose(enc(`v${n++}`));
      } catch {
        // no leader known: fine
      }
    }
    for (const t of net.nodes.values()) t.node.tick();
    for (let i = 0; i < 3; i++) {
      for (const nid of all) net.handleReady(nid);
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
  // Heal and check liveness: the cluster converges (leaving any joint config) and applies a
  // final entry on every member.
  net.recover();
  net.tickAll(40);
  let lead = net.leader();
  expect(lead, `seed ${seed}`).not.toBeNull();
  if (net.node(lead!).raft.trk.config.voters.outgoing.size > 0) {
    try {
      net.node(lead!).proposeConfChange({ changes: [] });
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
    net.tickAll(40);
    lead = net.leader();
    expect(lead, `seed ${seed}`).not.toBeNull();
  }
  const cs = net.node(lead!).raft.trk.confState();
  expect(cs.votersOutgoing, `seed ${seed}`).toEqual([]);
  net.node(lead!).propose(enc('final'));
  net.tickAll(5);
  for (const nid of [...cs.voters, ...cs.learners]) expect(net.appliedData(nid).at(-1), `seed ${seed} node ${nid}`).toBe('final');
}

describe('chaos (seeded)', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`keeps election safety and state machine safety, seed ${seed}`, () => run(seed, 400));
  }
  for (let seed = 101; seed <= 112; seed++) {
    it(`... with membership changes (simple, joint, learners), seed ${seed}`, () => run(seed, 400, true));
  }
});
