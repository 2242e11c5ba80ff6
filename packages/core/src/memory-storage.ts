/**
 * @module memory-storage
 * The in-memory reference Storage (etcd's MemoryStorage). The core reads it; the host writes it
 * synchronously after persisting a Ready. Durable backends keep one as their in-memory view of
 * the log so the core's reads stay synchronous.
 *
 * Layout: `ents[0]` is a dummy entry carrying the snapshot's index and term, so term(snapshotIndex)
 * answers without the snapshot and indices map to positions by one subtraction.
 */
import { CompactedError, MeshraftError, UnavailableError } from './errors.js';
import type { InitialState, Storage } from './storage.js';
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  EntryType,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './types.js';

/** A snapshot older than (or as old as) the one already held was offered. */
export class SnapshotOutOfDateError extends MeshraftError {
  constructor(readonly index: number, readonly currentIndex: number) {
    super('SNAPSHOT_OUT_OF_DATE', `snapshot at ${index} is not newer than the held snapshot at ${currentIndex}`);
  }
}

/** Appended entries would leave a hole after the last held entry. */
export class LogGapError extends MeshraftError {
  constructor(readonly firstAppended: number, readonly lastIndex: number) {
    super('LOG_GAP', `cannot append at ${firstAppended}: the log ends at ${lastIndex}`);
  }
}

export interface MemoryStorageInit {
  readonly hardState?: HardState;
  /** Initial membership of a new cluster (every founding node gets the same one). */
  readonly confState?: ConfState;
  readonly snapshot?: Snapshot;
}

const EMPTY_DATA = new Uint8Array(0);

function dummy(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: EMPTY_DATA };
}

/** Sum of entry data sizes used for maxBytes limits (matches what MsgApp batching counts). */
export function entrySize(e: Entry): number {
  return e.data.byteLength;
}

export class MemoryStorage implements Storage {
  private hardState: HardState;
  private confState: ConfState;
  private snap: Snapshot;
  private ents: Entry[];

  constructor(init: MemoryStorageInit = {}) {
    this.hardState = init.hardState ?? EMPTY_HARD_STATE;
    const snapshot = init.snapshot;
    this.confState = init.confState ?? snapshot?.metadata.confState ?? EMPTY_CONF_STATE;
    this.snap = snapshot ?? {
      metadata: { index: 0, term: 0, confState: this.confState },
      data: EMPTY_DATA,
    };
    this.ents = [dummy(this.snap.metadata.index, this.snap.metadata.term)];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.confState };
  }

  private get offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  term(index: number): number {
    const offset = this.offset;
    if (index < offset) throw new CompactedError(index, offset + 1);
    const e = this.ents[index - offset];
    if (e === undefined) throw new UnavailableError(index, this.lastIndex());
    return e.term;
  }

  entries(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const offset = this.offset;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    if (maxBytes === Infinity) return this.ents.slice(lo - offset, hi - offset);
    // At least one entry, then as many as fit in maxBytes.
    const start = lo - offset;
    const end = hi - offset;
    let size = entrySize(this.ents[start]!);
    let i = start + 1;
    for (; i < end; i++) {
      size += entrySize(this.ents[i]!);
      if (size > maxBytes) break;
    }
    return this.ents.slice(start, i);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** Record the configuration in force (after applying a conf change entry). */
  setConfState(cs: ConfState): void {
    this.confState = cs;
  }

  /**
   * Append entries, replacing any held entries from the first appended index on (a conflicting
   * suffix from an old leader). Entries at or below the snapshot index are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return;
    let from = 0;
    if (entries[0]!.index < first) from = first - entries[0]!.index;
    const at = entries[from]!.index - this.offset;
    if (at > this.ents.length) throw new LogGapError(entries[from]!.index, this.lastIndex());
    if (at < this.ents.length) this.ents.length = at; // truncate the conflicting suffix
    for (let i = from; i < entries.length; i++) this.ents.push(entries[i]!);
  }

  /** Replace the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (snap.metadata.index <= current) throw new SnapshotOutOfDateError(snap.metadata.index, current);
    this.snap = snap;
    this.confState = snap.metadata.confState;
    this.ents = [dummy(snap.metadata.index, snap.metadata.term)];
  }

  /**
   * Make a snapshot of the state machine as of `index` (an applied index). Does not drop entries:
   * call compact() for that, possibly later so slow followers can still catch up from the log.
   */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    const current = this.snap.metadata.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.snap = {
      metadata: { index, term: this.term(index), confState: confState ?? this.confState },
      data,
    };
    return this.snap;
  }

  /** Drop every entry up to and including `index`; `index` must not pass the last entry. */
  compact(index: number): void {
    const offset = this.offset;
    if (index <= offset) throw new CompactedError(index, offset + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const kept = this.ents.slice(index - offset);
    kept[0] = dummy(index, kept[0]!.term);
    this.ents = kept;
  }
}
