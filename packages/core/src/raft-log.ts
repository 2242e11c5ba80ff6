/**
 * @module raft-log
 * The node's log: persisted entries (read through Storage) followed by unstable ones, plus the
 * commit and apply cursors (etcd's raftLog). Invariant: applied <= applying <= committed <= last.
 */
import { CompactedError, UnavailableError } from './errors.js';
import { LogCorruptionError } from './raft-errors.js';
import type { Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { Unstable } from './unstable.js';

/** Keeps at least one entry, then as many as fit in `maxBytes` of entry data. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length <= 1 || maxBytes === Infinity) return ents;
  let size = ents[0]!.data.length;
  let n = 1;
  for (; n < ents.length; n++) {
    size += ents[n]!.data.length;
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export function entriesSize(ents: readonly Entry[]): number {
  let s = 0;
  for (let i = 0; i < ents.length; i++) s += ents[i]!.data.length;
  return s;
}

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed to the host to apply (in a Ready) but maybe not yet applied. */
  applying: number;
  /** Highest index the host reported applied (advance). */
  applied: number;
  private applyingBytes = 0;

  constructor(
    readonly storage: Storage,
    readonly maxApplyingBytes: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    const i = this.unstable.maybeFirstIndex();
    return i >= 0 ? i : this.storage.firstIndex();
  }

  lastIndex(): number {
    const i = this.unstable.maybeLastIndex();
    return i >= 0 ? i : this.storage.lastIndex();
  }

  /** Term of entry `i`, or -1 if it is compacted or past the end. */
  termOrNone(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t >= 0) return t;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return -1;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return -1;
      throw err;
    }
  }

  /** Term of entry `i`; throws CompactedError / UnavailableError outside the log. */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t >= 0) return t;
    const first = this.firstIndex();
    if (i < first - 1) throw new CompactedError(i, first);
    const last = this.lastIndex();
    if (i > last) throw new UnavailableError(i, last);
    return this.storage.term(i);
  }

  lastTerm(): number {
    return this.termOrNone(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    return this.termOrNone(i) === t;
  }

  /** Whether a log ending at (lastIndex, term) is at least as up-to-date as ours (§5.4.1). */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries: if our log has (index, logTerm), appends `ents` (truncating
   * conflicts), commits up to min(commit, last new index) and returns the last new index.
   * Returns -1 when our log does not match at `index`.
   */
  maybeAppend(index: number, logTerm: number, commit: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new LogCorruptionError(`entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      const start = ci - (index + 1);
      this.append(start === 0 ? ents : ents.slice(start));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries (truncating a conflicting unstable/stored suffix). Returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new LogCorruptionError(`append after ${after} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Leader: appends one entry right after the last one (O(1)). */
  appendOne(e: Entry): void {
    this.unstable.appendOne(e);
  }

  /**
   * First index in `ents` whose term differs from ours, or whose index is new; 0 if all of
   * them are already in the log.
   */
  findConflict(ents: readonly Entry[]): number {
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term; used to skip a whole
   * term of conflicting entries in one round trip. Returns [index, 0] if it cannot tell.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      const t = this.termOrNone(index);
      if (t < 0) return [index, 0];
      if (t <= term) return [index, t];
    }
    return [0, 0];
  }

  commitTo(toCommit: number): void {
    if (this.committed >= toCommit) return;
    if (this.lastIndex() < toCommit) {
      throw new LogCorruptionError(`commit ${toCommit} is past the last index ${this.lastIndex()}: log lost entries`);
    }
    this.committed = toCommit;
  }

  /** Commits `maxIndex` if it is from `term` (§5.4.2: only own-term entries commit by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrNone(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  /** Committed entries not yet handed out for applying (bounded by maxApplyingBytes). */
  nextCommittedEnts(): Entry[] {
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    const budget = this.maxApplyingBytes - this.applyingBytes;
    if (budget <= 0 && this.applying > this.applied) return [];
    return this.slice(lo, hi, Math.max(budget, 0));
  }

  hasNextCommittedEnts(): boolean {
    if (this.hasNextOrInProgressSnapshot()) return false;
    if (this.applying >= this.committed) return false;
    return !(this.maxApplyingBytes - this.applyingBytes <= 0 && this.applying > this.applied);
  }

  acceptApplying(index: number, bytes: number): void {
    this.applying = index;
    this.applyingBytes += bytes;
  }

  appliedTo(index: number, bytes: number): void {
    if (index <= this.applied) return;
    this.applied = index;
    if (this.applying < index) this.applying = index;
    this.applyingBytes = Math.max(0, this.applyingBytes - bytes);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Highest index known to be durable (the leader's own acknowledgement). */
  persistedIndex(): number {
    if (this.unstable.snapshot !== null) return Math.min(this.unstable.snapshot.metadata.index, this.unstable.offset) - 1;
    return this.unstable.offset - 1;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from `i` to the end, at most maxBytes of data (at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, last + 1, maxBytes);
  }

  /** Entries in [lo, hi), at most maxBytes of data (at least one). Throws CompactedError. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new UnavailableError(hi - 1, last);
    const off = this.unstable.offset;
    if (lo >= off) return limitSize(this.unstable.slice(lo, hi), maxBytes);
    const storedHi = Math.min(hi, off);
    const stored = this.storage.entries(lo, storedHi, maxBytes === Infinity ? undefined : maxBytes);
    if (stored.length < storedHi - lo || hi <= off) return stored;
    let size = entriesSize(stored);
    if (size >= maxBytes) return stored;
    const rest = limitSize(this.unstable.slice(off, hi), maxBytes - size);
    // limitSize keeps one entry even past the budget; drop it if it does not fit.
    if (rest.length === 1 && size + rest[0]!.data.length > maxBytes) return stored;
    const out = stored.slice();
    for (const e of rest) {
      size += e.data.length;
      out.push(e);
    }
    return out;
  }
}
