/**
 * @module indexeddb/load-state
 * Reads everything a node persisted, in one read-only transaction, as the ViewState the view is
 * rebuilt from. The log is checked on the way in: a hole would make the core replicate or apply
 * garbage, so it fails loudly with IndexedDbCorruptError instead.
 */
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT, type HardState } from '@meshraft/core';
import type { IDBPDatabase } from 'idb';
import type { ViewState } from '../view-storage.js';
import { IndexedDbCorruptError } from './errors.js';
import { HARD_STATE_KEY, META_PREFIX, SNAPSHOT_KEY, type MeshraftDb } from './schema.js';

export interface LoadedState extends ViewState {
  /** Start index of every stored chunk, ascending. */
  readonly chunkStarts: readonly number[];
}

export async function loadState(db: IDBPDatabase<MeshraftDb>): Promise<LoadedState> {
  const tx = db.transaction(['entries', 'state', 'snapshot'], 'readonly');
  const [chunkStarts, chunks, stateKeys, stateValues, stored] = await Promise.all([
    tx.objectStore('entries').getAllKeys(),
    tx.objectStore('entries').getAll(),
    tx.objectStore('state').getAllKeys(),
    tx.objectStore('state').getAll(),
    tx.objectStore('snapshot').get(SNAPSHOT_KEY),
    tx.done,
  ]);
  let hardState: HardState = EMPTY_HARD_STATE;
  const meta = new Map<string, string>();
  stateKeys.forEach((key, i) => {
    const value = stateValues[i];
    if (key === HARD_STATE_KEY) hardState = value as HardState;
    // CONF_STATE_KEY, written by older versions, is left unread: the configuration is the snapshot's.
    else if (key.startsWith(META_PREFIX) && typeof value === 'string') meta.set(key.slice(META_PREFIX.length), value);
  });
  const snapshot = stored ?? EMPTY_SNAPSHOT;
  let expected = snapshot.metadata.index + 1;
  chunks.forEach((chunk, i) => {
    if (chunk.length === 0 || chunk[0]!.index !== chunkStarts[i]) {
      throw new IndexedDbCorruptError(`the chunk stored under ${chunkStarts[i]} does not start there`);
    }
    for (const e of chunk) {
      if (e.index !== expected) throw new IndexedDbCorruptError(`expected entry ${expected}, found ${e.index}`);
      expected++;
    }
  });
  const entries = chunks.flat();
  return { snapshot, entries, hardState, meta, chunkStarts };
}
