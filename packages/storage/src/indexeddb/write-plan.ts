/**
 * @module indexeddb/write-plan
 * Turns a StorageUpdate into exactly what changes, checked against the in-memory view *before*
 * anything is written. The same plan is then written to IndexedDB and, once committed, applied to
 * the MemoryStorage, so the two cannot drift: every error is raised here, while both are untouched.
 */
import { LogGapError, SnapshotOutOfDateError, type MemoryStorage } from '@meshraft/core';
import type { ConfState, Entry, HardState, Snapshot } from '@meshraft/core';
import type { StorageUpdate } from '../durable-storage.js';
import { InvalidUpdateError } from '../errors.js';

export interface WritePlan {
  /** Replaces the whole log (Raft §7: a follower discards its log for the leader's snapshot). */
  readonly snapshot?: Snapshot;
  /** Delete every stored entry from this index on (a conflicting suffix). */
  readonly truncateFrom?: number;
  /** Entries to put, contiguous, all above the (new) snapshot index. */
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
  readonly confState?: ConfState;
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Reject malformed input before it reaches structured clone, which would store almost anything
 * (a plain array as data, a string index) and break the log on the next read.
 */
function checkShape(update: StorageUpdate): void {
  if (typeof update !== 'object' || update === null) throw new InvalidUpdateError('an update must be an object');
  const entries: unknown = update.entries;
  if (entries !== undefined && !Array.isArray(entries)) throw new InvalidUpdateError('entries must be an array');
  for (const e of update.entries ?? []) {
    if (typeof e !== 'object' || e === null || !isCount(e.index) || e.index < 1 || !isCount(e.term)) {
      throw new InvalidUpdateError('an entry needs an integer index >= 1 and term >= 0');
    }
    if (!(e.data instanceof Uint8Array)) throw new InvalidUpdateError(`entry ${e.index}: data must be a Uint8Array`);
  }
  const hs = update.hardState;
  if (hs !== undefined && (typeof hs !== 'object' || hs === null || !isCount(hs.term) || !isCount(hs.commit) ||
    (hs.vote !== null && typeof hs.vote !== 'string'))) {
    throw new InvalidUpdateError('hardState needs integer term and commit and a string or null vote');
  }
  const snap = update.snapshot;
  if (snap !== undefined && (typeof snap !== 'object' || snap === null || typeof snap.metadata !== 'object' ||
    !isCount(snap.metadata.index) || !isCount(snap.metadata.term) || !(snap.data instanceof Uint8Array))) {
    throw new InvalidUpdateError('snapshot needs metadata with integer index and term, and Uint8Array data');
  }
}

/** A hole inside a batch would be a hole in the log. */
function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!.index;
    if (entries[i]!.index !== prev + 1) {
      throw new InvalidUpdateError(`entries are not contiguous: ${entries[i]!.index} follows ${prev}`);
    }
  }
}

export function planSave(view: MemoryStorage, update: StorageUpdate): WritePlan {
  checkShape(update);
  let offset = view.firstIndex() - 1;
  let last = view.lastIndex();
  const snapshot = update.snapshot;
  if (snapshot !== undefined) {
    const held = view.snapshot().metadata.index;
    if (snapshot.metadata.index <= held) throw new SnapshotOutOfDateError(snapshot.metadata.index, held);
    offset = last = snapshot.metadata.index;
  }
  const given = update.entries ?? [];
  checkContiguous(given);
  // Entries at or below the snapshot index are already covered by it (MemoryStorage ignores them too).
  const entries = given.filter((e) => e.index > offset);
  let truncateFrom: number | undefined;
  const first = entries[0];
  if (first !== undefined) {
    if (first.index > last + 1) throw new LogGapError(first.index, last);
    if (first.index <= last) truncateFrom = first.index;
  }
  return {
    ...(snapshot !== undefined && { snapshot }),
    ...(truncateFrom !== undefined && { truncateFrom }),
    entries,
    ...(update.hardState !== undefined && { hardState: update.hardState }),
    ...(update.confState !== undefined && { confState: update.confState }),
  };
}

/** Apply a committed plan to the in-memory view; planSave already ruled out every error. */
export function applyPlan(view: MemoryStorage, plan: WritePlan): void {
  if (plan.snapshot !== undefined) view.applySnapshot(plan.snapshot);
  view.append(plan.entries);
  if (plan.hardState !== undefined) view.setHardState(plan.hardState);
  if (plan.confState !== undefined) view.setConfState(plan.confState);
}
