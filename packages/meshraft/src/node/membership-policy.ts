/**
 * @module membership-policy
 * The leader's decision of which single configuration change to propose next, as a pure function
 * of what it knows (so it is unit-tested without a cluster):
 * - promote caught-up, reachable learners while there are fewer voters than the target, keeping
 *   the voter count odd (two at a time);
 * - replace a voter unreachable for longer than the grace period by a caught-up learner, in one
 *   joint change (remove + addVoter together), so the voter count never dips.
 * Every change goes through the replicated configuration; this only chooses what to propose.
 */
import type { ConfState, NodeId } from '@meshraft/core';
import type { ConfChange } from './raft-core.js';

/** What the policy reads of a peer's replication progress (the leader's Status.progress). */
export interface PeerProgress {
  readonly match: number;
}

export interface MembershipView {
  readonly self: NodeId;
  readonly confState: ConfState;
  readonly commit: number;
  readonly progress: Readonly<Record<NodeId, PeerProgress>>;
  /** When each peer was last heard from (timer ms); absent if never. */
  readonly lastHeard: ReadonlyMap<NodeId, number>;
  readonly now: number;
  /** When this node became leader: peers it has not heard from yet count as heard then. */
  readonly leaderSince: number;
}

export interface MembershipPolicyOptions {
  /** Desired number of voters (odd). */
  readonly targetVoters: number;
  /** A voter silent for longer than this is replaced when a learner is ready. */
  readonly graceMs: number;
  /** A learner within this many entries of the commit index counts as caught up. */
  readonly maxLagEntries: number;
  /** A learner must have been heard from within this window to be promoted. */
  readonly aliveMs: number;
}

export function nextMembershipChange(v: MembershipView, o: MembershipPolicyOptions): ConfChange | undefined {
  const cs = v.confState;
  if (cs.votersOutgoing.length > 0) return undefined; // a joint change is still in flight
  const heardWithin = (id: NodeId, ms: number): boolean =>
    id === v.self || v.now - Math.max(v.lastHeard.get(id) ?? -Infinity, v.leaderSince) <= ms;
  const ready = cs.learners
    .filter((id) => {
      const p = v.progress[id];
      return p !== undefined && p.match + o.maxLagEntries >= v.commit && heardWithin(id, o.aliveMs);
    })
    .sort((a, b) => (v.progress[b]?.match ?? 0) - (v.progress[a]?.match ?? 0) || (a < b ? -1 : 1));
  const candidate = ready[0];
  if (candidate === undefined) return undefined;
  if (cs.voters.length < o.targetVoters) {
    // Keep the voter count odd: an even count tolerates no more failures than one voter fewer,
    // but adds one more node whose loss can stall it. From an odd count, promote two at once
    // (one joint change); from an even count (after a removal), one.
    if (cs.voters.length % 2 === 0) return { changes: [{ type: 'addVoter', node: candidate }] };
    const second = ready[1];
    if (second === undefined || cs.voters.length + 2 > o.targetVoters) return undefined;
    return {
      changes: [
        { type: 'addVoter', node: candidate },
        { type: 'addVoter', node: second },
      ],
      transition: 'auto',
    };
  }
  const dead = cs.voters.filter((id) => !heardWithin(id, o.graceMs)).sort();
  const victim = dead[0];
  if (victim !== undefined) {
    return {
      changes: [
        { type: 'remove', node: victim },
        { type: 'addVoter', node: candidate },
      ],
      transition: 'auto',
    };
  }
  return undefined;
}
