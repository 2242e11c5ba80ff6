/**
 * @module durable-storage
 * The writable storage contract every backend (memory, file, IndexedDB) implements. It extends
 * the core's synchronous read-only Storage: backends keep the log in memory for the core's reads
 * and make each write durable before the returned promise resolves.
 */
import type { Entry, HardState, Snapshot, Storage } from '@meshraft/core';

/** One Ready's worth of state to persist (etcd: HardState, Entries, Snapshot of a Ready). */
export interface StorageUpdate {
  /** A snapshot received from the leader; replaces every entry up to its index. Applied first. */
  readonly snapshot?: Snapshot;
  /** Entries to append; an entry whose index already exists truncates the log from there on. */
  readonly entries?: readonly Entry[];
  /** Written last, in the same atomic unit as the entries. */
  readonly hardState?: HardState;
}

/**
 * initialState().confState is always the configuration of the held snapshot (a saved one or the
 * latest compact()), as in etcd's MemoryStorage. A host restores its state machine from that
 * snapshot and re-applies every conf change after it as the log replays, so the configuration it
 * restarts with is exactly the one as of its applied index. There is no separate "applied
 * configuration" to write: one that could run ahead of, or lag behind, the snapshot is how a
 * restarted founder once believed it was the only voter (packages/sim/FOUND-BUGS.md).
 */
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
