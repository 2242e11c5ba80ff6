/**
 * @module update-plan
 * Whether an update or a compaction fits the log, decided before anything changes. Every backend
 * runs these checks on its MemoryStorage view, then writes and applies; a refusal leaves both
 * the view and the disk untouched.
 */
import {
  LogGapError,
  SnapshotOutOfDateError,
  UnavailableError,
  type Entry,
  type MemoryStorage,
  type Snapshot,
} from '@meshraft/core';
import type { StorageUpdate } from './durable-storage.js';
import { InvalidUpdateError } from './errors.js';
import { checkSnapshot, checkUpdate } from './validate.js';

export interface UpdatePlan {
  readonly update: StorageUpdate;
  /** Entries to store: contiguous, all above the (new) snapshot index. */
  readonly entries: readonly Entry[];
  /** Every held entry from this index on is replaced (a conflicting suffix). */
  readonly truncateFrom?: number;
}

/** Checks `update` (shape, then fit with `view`) and says what it changes. Throws if it does not fit. */
export function planUpdate(view: MemoryStorage, update: StorageUpdate): UpdatePlan {
  checkUpdate(update);
  let offset = view.firstIndex() - 1;
  let last = view.lastIndex();
  const snapshot = update.snapshot;
  if (snapshot !== undefined) {
    const held = view.snapshot().metadata.index;
    if (snapshot.metadata.index <= held) throw new SnapshotOutOfDateError(snapshot.metadata.index, held);
    offset = last = snapshot.metadata.index;
  }
  const given = update.entries ?? [];
  for (let i = 1; i < given.length; i++) {
    if (given[i]!.index !== given[i - 1]!.index + 1) throw new LogGapError(given[i]!.index, given[i - 1]!.index);
  }
  // Entries at or below the snapshot index are covered by it (MemoryStorage ignores them too).
  const entries = given.filter((e) => e.index > offset);
  const first = entries[0];
  if (first !== undefined && first.index > last + 1) throw new LogGapError(first.index, last);
  const truncateFrom = first !== undefined && first.index <= last ? first.index : undefined;
  return { update, entries, ...(truncateFrom !== undefined && { truncateFrom }) };
}

/** Checks that `snapshot` can compact `view`: newer than the held one, within the log, same term. */
export function checkCompact(view: MemoryStorage, snapshot: Snapshot): void {
  checkSnapshot(snapshot);
  const { index, term } = snapshot.metadata;
  const held = view.snapshot().metadata.index;
  if (index <= held) throw new SnapshotOutOfDateError(index, held);
  if (index > view.lastIndex()) throw new UnavailableError(index, view.lastIndex());
  const logTerm = view.term(index);
  if (logTerm !== term) throw new InvalidUpdateError(`snapshot at ${index} has term ${term} but the log has term ${logTerm} there`);
}
