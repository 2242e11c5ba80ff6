/**
 * @module indexeddb/write-plan
 * What a save or compaction will change, worked out and checked against the view *before* the
 * transaction. ViewStorage.applyUpdate checks and applies in one step, which suits backends that
 * apply first and fail-stop on a write error; here the view is applied only after IndexedDB
 * committed, so a refused transaction (quota) leaves view and disk equal and the node usable.
 * The fit checks therefore run here first; applyUpdate repeats them on apply and cannot fail.
 */
import {
  LogGapError,
  SnapshotOutOfDateError,
  UnavailableError,
  type Entry,
  type MemoryStorage,
  type Snapshot,
} from '@meshraft/core';
import type { StorageUpdate } from '../durable-storage.js';
import { InvalidUpdateError } from '../errors.js';
import { checkSnapshot, checkUpdate } from '../validate.js';

export interface WritePlan {
  readonly update: StorageUpdate;
  /** Delete every stored entry from this index on (a conflicting suffix). */
  readonly truncateFrom?: number;
  /** Entries to put: contiguous, all above the (new) snapshot index. */
  readonly entries: readonly Entry[];
}

export function planSave(view: MemoryStorage, update: StorageUpdate): WritePlan {
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

/** The same checks as ViewStorage.applyCompact, before anything is written. */
export function checkCompact(view: MemoryStorage, snapshot: Snapshot): void {
  checkSnapshot(snapshot);
  const { index, term } = snapshot.metadata;
  const held = view.snapshot().metadata.index;
  if (index <= held) throw new SnapshotOutOfDateError(index, held);
  if (index > view.lastIndex()) throw new UnavailableError(index, view.lastIndex());
  const logTerm = view.term(index);
  if (logTerm !== term) throw new InvalidUpdateError(`snapshot at ${index} has term ${term} but the log has term ${logTerm} there`);
}
