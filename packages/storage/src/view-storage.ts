/**
 * @module view-storage
 * The part every backend shares: a MemoryStorage as the in-memory view the core reads
 * synchronously, the meta map, closed-state checks, and the checks that decide whether an
 * update fits the log. An update is checked completely before the view changes, so a rejected
 * update leaves nothing behind; backends then persist exactly what was applied.
 */
import {
  LogGapError,
  MemoryStorage,
  SnapshotOutOfDateError,
  UnavailableError,
  type ConfState,
  type Entry,
  type HardState,
  type InitialState,
  type Snapshot,
} from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from './durable-storage.js';
import { InvalidUpdateError, StorageClosedError } from './errors.js';
import { checkMeta, checkSnapshot, checkUpdate } from './validate.js';

/** What an accepted save changed: entries at or below the snapshot index are dropped. */
export interface AppliedUpdate {
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
  readonly confState?: ConfState;
}

/** Everything a backend needs to rebuild a view (what a checkpoint or database holds). */
export interface ViewState {
  readonly snapshot: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
  readonly confState: ConfState;
  readonly meta: ReadonlyMap<string, string>;
}

export abstract class ViewStorage implements DurableStorage {
  protected readonly log: MemoryStorage;
  protected readonly meta: Map<string, string>;
  private closed = false;

  protected constructor(state?: ViewState) {
    if (state === undefined) {
      this.log = new MemoryStorage();
      this.meta = new Map();
      return;
    }
    this.log = new MemoryStorage({ snapshot: state.snapshot, hardState: state.hardState, confState: state.confState });
    this.log.append(state.entries);
    this.meta = new Map(state.meta);
  }

  abstract save(update: StorageUpdate): Promise<void>;
  abstract compact(snapshot: Snapshot): Promise<void>;
  abstract setMeta(key: string, value: string): Promise<void>;
  abstract close(): Promise<void>;

  initialState(): InitialState {
    this.checkOpen();
    return this.log.initialState();
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    this.checkOpen();
    return this.log.entries(lo, hi, maxBytes);
  }

  term(index: number): number {
    this.checkOpen();
    return this.log.term(index);
  }

  firstIndex(): number {
    this.checkOpen();
    return this.log.firstIndex();
  }

  lastIndex(): number {
    this.checkOpen();
    return this.log.lastIndex();
  }

  snapshot(): Snapshot {
    this.checkOpen();
    return this.log.snapshot();
  }

  getMeta(key: string): string | undefined {
    this.checkOpen();
    return this.meta.get(key);
  }

  protected checkOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }

  /** Marks the handle closed; false if it already was. */
  protected markClosed(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }

  /** The whole current state, for checkpoints. */
  protected viewState(): ViewState {
    const first = this.log.firstIndex();
    return {
      snapshot: this.log.snapshot(),
      entries: this.log.entries(first, this.log.lastIndex() + 1),
      hardState: this.log.initialState().hardState,
      confState: this.log.initialState().confState,
      meta: this.meta,
    };
  }

  /** Checks `update` against the log, then applies it to the view. Throws with the view untouched. */
  protected applyUpdate(update: StorageUpdate): AppliedUpdate {
    this.checkOpen();
    checkUpdate(update);
    const { snapshot, hardState, confState } = update;
    let offset = this.log.firstIndex() - 1;
    let last = this.log.lastIndex();
    if (snapshot !== undefined) {
      const held = this.log.snapshot().metadata.index;
      if (snapshot.metadata.index <= held) throw new SnapshotOutOfDateError(snapshot.metadata.index, held);
      offset = last = snapshot.metadata.index;
    }
    const given = update.entries ?? [];
    for (let i = 1; i < given.length; i++) {
      if (given[i]!.index !== given[i - 1]!.index + 1) throw new LogGapError(given[i]!.index, given[i - 1]!.index);
    }
    const entries = given.filter((e) => e.index > offset);
    const first = entries[0];
    if (first !== undefined && first.index > last + 1) throw new LogGapError(first.index, last);

    if (snapshot !== undefined) this.log.applySnapshot(snapshot);
    this.log.append(entries);
    if (hardState !== undefined) this.log.setHardState(hardState);
    if (confState !== undefined) this.log.setConfState(confState);
    return {
      entries,
      ...(snapshot !== undefined && { snapshot }),
      ...(hardState !== undefined && { hardState }),
      ...(confState !== undefined && { confState }),
    };
  }

  /** Checks a compaction snapshot against the log, then records it and drops the entries it covers. */
  protected applyCompact(snapshot: Snapshot): Snapshot {
    this.checkOpen();
    checkSnapshot(snapshot);
    const { index, term, confState } = snapshot.metadata;
    const held = this.log.snapshot().metadata.index;
    if (index <= held) throw new SnapshotOutOfDateError(index, held);
    if (index > this.log.lastIndex()) throw new UnavailableError(index, this.log.lastIndex());
    const logTerm = this.log.term(index);
    if (logTerm !== term) {
      throw new InvalidUpdateError(`snapshot at ${index} has term ${term} but the log has term ${logTerm} there`);
    }
    const made = this.log.createSnapshot(index, confState, snapshot.data);
    this.log.compact(index);
    return made;
  }

  protected applyMeta(key: string, value: string): void {
    this.checkOpen();
    checkMeta(key, value);
    this.meta.set(key, value);
  }
}
