/**
 * @module membership-policy
 * The leader's decision of which single configuration change to propose next, as a pure function
 * of what it knows (so it is unit-tested without a cluster):
 * - promote caught-up, reachable learners while there are fewer voters than the target, keeping
 *   the voter count odd (two at a time);
 * - replace a voter unreachable for longer than the grace period, or one that said it is leaving
 *   (departed: a tab's pagehide), by a caught-up learner, in one joint change (remove + addVoter
 *   together), so the voter count never dips;
 * - with no learner to replace it, shrink: remove it, and demote one more voter to learner when
 *   the count would be even (3 → 1, 5 → 3), but only when the reachable voters hold a majority
 *   of both the current and the new voter set (so the change commits and the survivors can
 *   write), and never removing this node (the leader);
 * - remove a departed learner.
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
  /** Members that announced they are going away (depart frames); treated as gone at once. */
  readonly departed?: ReadonlySet<NodeId>;
  /** Members that may vanish with their page (membership.ephemeral), this node included if so. */
  readonly ephemeral?: ReadonlySet<NodeId>;
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
  const departed = v.departed ?? new Set<NodeId>();
  const heard = (id: NodeId, ms: number): boolean =>
    id === v.self || v.now - Math.max(v.lastHeard.get(id) ?? -Infinity, v.leaderSince) <= ms;
  const heardWithin = (id: NodeId, ms: number): boolean => !departed.has(id) && heard(id, ms);
  const goneLearner = cs.learners.filter((id) => departed.has(id) && id !== v.self).sort()[0];
  if (goneLearner !== undefined) return { changes: [{ type: 'remove', node: goneLearner }] };
  const ready = cs.learners
    .filter((id) => {
      const p = v.progress[id];
      // match 0: it has acknowledged nothing yet (no append, no snapshot), however short the log.
      return p !== undefined && p.match > 0 && p.match + o.maxLagEntries >= v.commit && heardWithin(id, o.aliveMs);
    })
    .sort((a, b) => (v.progress[b]?.match ?? 0) - (v.progress[a]?.match ?? 0) || (a < b ? -1 : 1));
  // Departed voters first (they asked), then the longest silent ones by id.
  const dead = cs.voters
    .filter((id) => id !== v.self && !heardWithin(id, o.graceMs))
    .sort((a, b) => Number(departed.has(b)) - Number(departed.has(a)) || (a < b ? -1 : 1));
  const victim = dead[0];
  const candidate = ready[0];
  if (victim !== undefined && candidate !== undefined) {
    return {
      changes: [
        { type: 'remove', node: victim },
        { type: 'addVoter', node: candidate },
      ],
      transition: 'auto',
    };
  }
  if (candidate !== undefined && cs.voters.length < o.targetVoters) {
    // Keep the voter count odd: an even count tolerates no more failures than one voter fewer,
    // but adds one more node whose loss can stall it. From an odd count, promote two at once
    // (one joint change); from an even count (after a removal), one.
    if (cs.voters.length % 2 === 0) return { changes: [{ type: 'addVoter', node: candidate }] };
    const second = ready[1];
    if (second !== undefined && cs.voters.length + 2 <= o.targetVoters) {
      return {
        changes: [
          { type: 'addVoter', node: candidate },
          { type: 'addVoter', node: second },
        ],
        transition: 'auto',
      };
    }
  }
  if (victim === undefined) return undefined;
  // A departed voter may still answer for a moment (its page is closing): it counts toward
  // committing its own removal, never toward the voter set that remains.
  return shrink(v, victim, (id) => heard(id, o.aliveMs), (id) => heardWithin(id, o.aliveMs));
}

/**
 * Removes `victim` with no learner to take its place; from an odd count another voter (not this
 * leader; an unreachable one first, else the least caught up) becomes a learner too, so the count stays odd. Undefined
 * when the reachable voters would not hold a majority of the old (`reachable`) or of the new
 * (`live`: reachable and staying) voter set.
 */
function shrink(v: MembershipView, victim: NodeId, reachable: (id: NodeId) => boolean, live: (id: NodeId) => boolean): ConfChange | undefined {
  const voters = v.confState.voters;
  const majorityOf = (set: readonly NodeId[], ok: (id: NodeId) => boolean): boolean => set.filter(ok).length * 2 > set.length;
  const majority = (set: readonly NodeId[]): boolean => majorityOf(set, live);
  if (!majorityOf(voters, reachable)) return undefined;
  let next = voters.filter((id) => id !== victim);
  if (next.length === 0) return undefined;
  if (next.length % 2 === 1) {
    return majority(next) ? { changes: [{ type: 'remove', node: victim }] } : undefined;
  }
  // An unreachable voter is demoted before a reachable one, an ephemeral one (a tab) before a
  // durable one, then the least caught up.
  const eph = (id: NodeId): number => (v.ephemeral?.has(id) ? 0 : 1);
  const demoted = next
    .filter((id) => id !== v.self)
    .sort((a, b) => Number(live(a)) - Number(live(b)) || eph(a) - eph(b) || (v.progress[a]?.match ?? 0) - (v.progress[b]?.match ?? 0) || (a < b ? -1 : 1))[0];
  if (demoted === undefined) return undefined;
  next = next.filter((id) => id !== demoted);
  if (!majority(next)) return undefined;
  return {
    changes: [
      { type: 'remove', node: victim },
      { type: 'addLearner', node: demoted },
    ],
    transition: 'auto',
  };
}

/**
 * An ephemeral leader (a tab) hands leadership to a durable voter: reachable, caught up, not
 * departed, not ephemeral, and willing to campaign (`campaignOff` lists those that are not).
 * Undefined when this node is durable or no such voter exists; then the policy keeps it leading.
 */
export function durableLeaderFor(v: MembershipView, o: MembershipPolicyOptions, campaignOff: ReadonlySet<NodeId>): NodeId | undefined {
  const eph = v.ephemeral ?? new Set<NodeId>();
  if (!eph.has(v.self) || v.confState.votersOutgoing.length > 0) return undefined;
  return v.confState.voters
    .filter((id) => {
      if (id === v.self || eph.has(id) || v.departed?.has(id) || campaignOff.has(id)) return false;
      const p = v.progress[id];
      const heard = v.lastHeard.get(id);
      return p !== undefined && p.match + o.maxLagEntries >= v.commit && heard !== undefined && v.now - heard <= o.aliveMs;
    })
    .sort((a, b) => (v.progress[b]?.match ?? 0) - (v.progress[a]?.match ?? 0) || (a < b ? -1 : 1))[0];
}
