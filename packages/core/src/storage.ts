/**
 * @module storage
 * The core's view of stable storage: read-only and synchronous, as in etcd's raft. The host
 * writes (see @meshraft/storage for the durable, writable contract); the core only reads what
 * has already been persisted. Durable backends serve these reads from memory.
 */
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface Storage {
  /** The persisted hard state and the configuration as of the last persisted entry/snapshot. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at least one if any exist in range, and no more than `maxBytes` of entry
   * data after the first. Throws CompactedError when lo < firstIndex(), UnavailableError when
   * hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /**
   * Term of the entry at `index`. Valid for firstIndex()-1 (the snapshot's index) through
   * lastIndex(). Throws CompactedError / UnavailableError outside that range.
   */
  term(index: number): number;
  /** Index of the first entry still held (snapshot index + 1). */
  firstIndex(): number;
  /** Index of the last entry held (the snapshot index if the log is empty). */
  lastIndex(): number;
  /** The most recent snapshot (EMPTY_SNAPSHOT when none). */
  snapshot(): Snapshot;
}
