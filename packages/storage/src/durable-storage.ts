/**
 * @module durable-storage
 * The writable storage contract every backend (memory, file, IndexedDB) implements. It extends
 * the core's synchronous read-only Storage: backends keep the log in memory for the core's reads
 * and make each write durable before the returned promise resolves.
 */
import type { ConfState, Entry, HardState, Snapshot, Storage } from '@meshraft/core';

/** One Ready's worth of state to persist (etcd: HardState, Entries, Snapshot of a Ready). */
export interface StorageUpdate {
  /** A snapshot received from the leader; replaces every entry up to its index. Applied first. */
  readonly snapshot?: Snapshot;
  /** Entries to append; an entry whose index already exists truncates the log from there on. */
  readonly entries?: readonly Entry[];
  /** Written last, in the same atomic unit as the entries. */
  readonly hardState?: HardState;
  /**
   * The configuration in force after applying a conf change (what initialState().confState
   * returns after a restart). Same atomic unit as the rest; a snapshot in the same update sets
   * it first, so this one wins.
   */
  readonly confState?: ConfState;
}

export interface DurableStorage extends Storage {
  /**
   * Persist `update` atomically: after a crash either all of it or none of it is visible.
   * Resolves once durable (per the backend's durability setting); only then may the host send
   * the messages of the same Ready.
   */
  save(update: StorageUpdate): Promise<void>;
  /**
   * Record a state machine snapshot taken at an applied index and drop the entries it covers
   * (snapshot.metadata.index and below). Entries after it are kept.
   */
  compact(snapshot: Snapshot): Promise<void>;
  /** Small key/value metadata kept beside the log (e.g. the node's own id). */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Release files, locks and database handles once pending writes settle. Idempotent. Every other
   * call afterwards rejects (reads throw) with StorageClosedError.
   */
  close(): Promise<void>;
}
