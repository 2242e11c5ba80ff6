/**
 * @module view-storage
 * The part every backend shares: a MemoryStorage as the in-memory view the core reads
 * synchronously, the meta map and closed-state checks. An update is checked completely
 * (update-plan.ts) before the view changes, so a rejected update leaves nothing behind; backends
 * then persist exactly what was applied.
 */
import {
  MemoryStorage,
  type Entry,
  type HardState,
  type InitialState,
  type Snapshot,
} from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from './durable-storage.js';
import { StorageClosedError } from './errors.js';
import { checkCompact, planUpdate } from './update-plan.js';
import { checkMeta } from './validate.js';

/** What an accepted save changed: entries at or below the snapshot index are dropped. */
export interface AppliedUpdate {
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
}

/**
 * Everything a backend needs to rebuild a view (what a checkpoint or database holds). No
 * configuration: it is always the snapshot's (see DurableStorage), so a stored one, written by an
 * older version that could keep a stale one, is never read back.
 */
export interface ViewState {
  readonly snapshot: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
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
    this.log = new MemoryStorage({ snapshot: state.snapshot, hardState: state.hardState });
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
      meta: this.meta,
    };
  }

  /** Checks `update` against the log, then applies it to the view. Throws with the view untouched. */
  protected applyUpdate(update: StorageUpdate): AppliedUpdate {
    this.checkOpen();
    const { entries } = planUpdate(this.log, update);
    const { snapshot, hardState } = update;
    if (snapshot !== undefined) this.log.applySnapshot(snapshot);
    this.log.append(entries);
    if (hardState !== undefined) this.log.setHardState(hardState);
    return {
      entries,
      ...(snapshot !== undefined && { snapshot }),
      ...(hardState !== undefined && { hardState }),
    };
  }

  /** Checks a compaction snapshot against the log, then records it and drops the entries it covers. */
  protected applyCompact(snapshot: Snapshot): Snapshot {
    this.checkOpen();
    checkCompact(this.log, snapshot);
    const { index, confState } = snapshot.metadata;
    const made = this.log.createSnapshot(index, confState, snapshot.data);
    this.log.compact(index);
    // The configuration follows the snapshot: a restart replays the conf changes after it.
    this.log.setConfState(confState);
    return made;
  }

  protected applyMeta(key: string, value: string): void {
    this.checkOpen();
    checkMeta(key, value);
    this.meta.set(key, value);
  }
}
