/**
 * @module quorum-reach
 * Why a cluster is stuck, as this node sees it: the voters it cannot reach, and whether the
 * reachable ones (itself included) still make a majority of every voter set of the configuration
 * (both halves of a joint one). Pure: status() feeds it links, last-heard times and the clock.
 * Peers hear each other at least once per election timeout (the leader's heartbeats and their
 * answers, every member's campaign announcement), so silence over a few timeouts means unreachable.
 */
import type { ConfState, NodeId } from '@meshraft/core';

/** status().stuck: the cluster cannot commit (writes and linearizable reads wait) because of these voters. */
export interface StuckStatus {
  /** In words: `read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)`. */
  readonly reason: string;
  /** The unreachable voters, sorted. */
  readonly unreachableVoters: readonly NodeId[];
}

export interface ReachInput {
  readonly self: NodeId;
  readonly confState: ConfState;
  /** Peers whose transport link is up (any state but `down`/`connecting`). */
  readonly linked: ReadonlySet<NodeId>;
  readonly lastHeard: ReadonlyMap<NodeId, number>;
  readonly now: number;
  /** A peer silent for longer than this is unreachable. */
  readonly windowMs: number;
  /** When this node started: a peer not heard from yet counts as heard then. */
  readonly startedAt: number;
}

/** The voters (of either half) this node cannot reach, sorted. */
export function unreachableVoters(r: ReachInput): NodeId[] {
  const voters = new Set([...r.confState.voters, ...r.confState.votersOutgoing]);
  return [...voters].filter((id) => !reachable(r, id)).sort();
}

/** Null while every voter set keeps a reachable majority; else why not. */
export function stuckStatus(r: ReachInput): StuckStatus | null {
  const cs = r.confState;
  const sets = [cs.voters, cs.votersOutgoing].filter((s) => s.length > 0);
  if (sets.length === 0) return null;
  const lost = sets.find((set) => set.filter((id) => reachable(r, id)).length * 2 <= set.length);
  if (lost === undefined) return null;
  const gone = unreachableVoters(r);
  const noun = gone.length === 1 ? 'voter' : 'voters';
  const verb = gone.length === 1 ? 'is' : 'are';
  return {
    reason: `read-only: ${noun} ${listWords(gone)} ${verb} unreachable (${gone.filter((id) => lost.includes(id)).length} of ${lost.length} voters; a majority is needed)`,
    unreachableVoters: gone,
  };
}

function reachable(r: ReachInput, id: NodeId): boolean {
  if (id === r.self) return true;
  if (!r.linked.has(id)) return false;
  return r.now - Math.max(r.lastHeard.get(id) ?? -Infinity, r.startedAt) <= r.windowMs;
}

/** `a`, `a and b`, `a, b and c`. */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
