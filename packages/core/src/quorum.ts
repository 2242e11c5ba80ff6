/**
 * @module quorum
 * Majority and joint-majority decisions (Raft §5.2, §5.3; thesis §4.3). A joint config is two
 * majority configs (incoming, outgoing); while the outgoing one is non-empty every decision needs
 * a majority of both. An empty majority config agrees to everything, so a non-joint config is
 * simply a joint one with an empty outgoing half.
 */
import type { NodeId } from './types.js';

export const VoteResult = { Pending: 0, Lost: 1, Won: 2 } as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** Anything with a per-node acknowledged log index (the tracker's progress map). */
export type AckedIndexes = ReadonlyMap<NodeId, { readonly match: number }>;

export class MajorityConfig {
  readonly ids: readonly NodeId[];
  // Reused by committedIndex so the hot path allocates nothing.
  private readonly scratch: number[];

  constructor(ids: Iterable<NodeId>) {
    this.ids = [...new Set(ids)].sort();
    this.scratch = new Array<number>(this.ids.length).fill(0);
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: NodeId): boolean {
    return this.ids.includes(id);
  }

  /**
   * The largest index acknowledged by a majority. Infinity for an empty config so that a joint
   * config's min() ignores an empty half.
   */
  committedIndex(acked: AckedIndexes): number {
    const n = this.ids.length;
    if (n === 0) return Infinity;
    const s = this.scratch;
    for (let i = 0; i < n; i++) s[i] = acked.get(this.ids[i]!)?.match ?? 0;
    // Insertion sort: configs are small.
    for (let i = 1; i < n; i++) {
      const v = s[i]!;
      let j = i - 1;
      while (j >= 0 && s[j]! > v) {
        s[j + 1] = s[j]!;
        j--;
      }
      s[j + 1] = v;
    }
    return s[n - ((n >> 1) + 1)]!;
  }

  /** Won once a majority voted yes, Lost once a majority can no longer be reached. */
  voteResult(votes: (id: NodeId) => boolean | undefined): VoteResult {
    const n = this.ids.length;
    if (n === 0) return VoteResult.Won;
    let yes = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = (n >> 1) + 1;
    if (yes >= q) return VoteResult.Won;
    if (yes + missing >= q) return VoteResult.Pending;
    return VoteResult.Lost;
  }
}

export class JointConfig {
  constructor(
    readonly incoming: MajorityConfig,
    readonly outgoing: MajorityConfig = new MajorityConfig([]),
  ) {}

  get isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** Every voter of either half, sorted and deduplicated. */
  ids(): NodeId[] {
    return [...new Set([...this.incoming.ids, ...this.outgoing.ids])].sort();
  }

  has(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  committedIndex(acked: AckedIndexes): number {
    const a = this.incoming.committedIndex(acked);
    if (this.outgoing.size === 0) return a;
    return Math.min(a, this.outgoing.committedIndex(acked));
  }

  voteResult(votes: (id: NodeId) => boolean | undefined): VoteResult {
    const a = this.incoming.voteResult(votes);
    const b = this.outgoing.voteResult(votes);
    if (a === b) return a;
    if (a === VoteResult.Lost || b === VoteResult.Lost) return VoteResult.Lost;
    return VoteResult.Pending;
  }
}
