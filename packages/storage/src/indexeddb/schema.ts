/**
 * @module indexeddb/schema
 * The database layout: one database per cluster and node, three object stores.
 * - `entries`: the log in chunks: each record is the contiguous entries of one save, keyed by the
 *   index of its first entry (see chunk-index.ts). Truncation and compaction are key-range
 *   deletes plus one rewritten chunk; a load is one getAll in index order.
 * - `state`: small records under fixed keys: the hard state, the configuration and `meta:<key>`.
 * - `snapshot`: the latest snapshot under the key `latest`.
 */
import type { DBSchema } from 'idb';
import type { ConfState, Entry, HardState, Snapshot } from '@meshraft/core';

/** Bump with a migration in `upgradeSchema` whenever the layout changes. */
export const SCHEMA_VERSION = 1;

export const HARD_STATE_KEY = 'hardState';
/** Written by older versions (a configuration beside the snapshot's); never read now. */
export const CONF_STATE_KEY = 'confState';
export const SNAPSHOT_KEY = 'latest';
export const metaKey = (key: string): string => `meta:${key}`;
export const META_PREFIX = 'meta:';

export type StateRecord = HardState | ConfState | string;

export interface MeshraftDb extends DBSchema {
  entries: { key: number; value: Entry[] };
  state: { key: string; value: StateRecord };
  snapshot: { key: string; value: Snapshot };
}

export type StoreName = 'entries' | 'state' | 'snapshot';
export const ALL_STORES: StoreName[] = ['entries', 'state', 'snapshot'];

/** Runs inside the versionchange transaction of an open that found an older (or no) database. */
export function upgradeSchema(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('entries');
    db.createObjectStore('state');
    db.createObjectStore('snapshot');
  }
}

/**
 * `meshraft/<cluster>` or `meshraft/<cluster>/<nodeId>`: one log per node, even with several nodes
 * in one origin. Parts are URI-encoded so cluster `a/b` and cluster `a` node `b` cannot collide.
 */
export function databaseName(cluster: string, nodeId?: string): string {
  const base = `meshraft/${encodeURIComponent(cluster)}`;
  return nodeId === undefined ? base : `${base}/${encodeURIComponent(nodeId)}`;
}
