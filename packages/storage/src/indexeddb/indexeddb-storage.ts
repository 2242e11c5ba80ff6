/**
 * @module indexeddb/indexeddb-storage
 * DurableStorage on IndexedDB for browser nodes (windows and Web Workers; no DOM use).
 * Reads are served synchronously from the shared ViewStorage (a MemoryStorage loaded at open);
 * every write is one readwrite transaction, and the view changes only after that transaction
 * committed. Writes are queued so each one is planned against the state the previous one left.
 */
import { MeshraftError, type Entry, type Snapshot } from '@meshraft/core';
import { unwrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { StorageUpdate } from '../durable-storage.js';
import { StorageClosedError } from '../errors.js';
import { checkMeta } from '../validate.js';
import { ViewStorage } from '../view-storage.js';
import {
  IndexedDbUnavailableError,
  IndexedDbOptionsError,
  toWriteError,
  type IndexedDbUnavailableReason,
} from './errors.js';
import { ChunkIndex } from './chunk-index.js';
import { loadState, type LoadedState } from './load-state.js';
import { acquireNodeLock, defaultLockManager, type LockManagerLike } from './node-lock.js';
import { openDatabase } from './open-database.js';
import {
  ALL_STORES,
  HARD_STATE_KEY,
  SNAPSHOT_KEY,
  databaseName,
  metaKey,
  type MeshraftDb,
  type StoreName,
} from './schema.js';
import { checkCompact, planUpdate, type UpdatePlan } from '../update-plan.js';

export type IndexedDbDurability = 'strict' | 'relaxed';

export interface IndexedDbStorageOptions {
  /** Cluster name; with nodeId it names the database (`meshraft/<cluster>/<nodeId>`). */
  readonly cluster: string;
  readonly nodeId?: string;
  /** Use this database name instead of the one derived from cluster and nodeId. */
  readonly name?: string;
  /**
   * `strict` (default): a save resolves only once the browser flushed it to disk, which Raft
   * needs before a node answers a vote or acknowledges entries. `relaxed`: resolves once the OS
   * has the data; an OS crash or power loss can lose the last saves. Only for throwaway clusters.
   */
  readonly durability?: IndexedDbDurability;
  /**
   * The IDBFactory to use (default: the global `indexedDB`), e.g. a fresh fake-indexeddb factory per
   * test. idb checks values against the global IDB classes, so those must be the matching ones.
   */
  readonly indexedDB?: IDBFactory;
  /** IDBKeyRange matching `indexedDB` (default: the global one); pass both when injecting. */
  readonly keyRange?: typeof IDBKeyRange;
  /**
   * Web Locks manager that keeps one open handle per database in the origin (default:
   * `navigator.locks`). `null` turns the check off; where no manager exists (Node) there is none.
   */
  readonly locks?: LockManagerLike | null;
}

/** A Uint8Array view is stored with its whole backing buffer by structured clone: copy views. */
function ownBytes(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

function entryRecord(e: Entry): Entry {
  return { index: e.index, term: e.term, type: e.type, data: ownBytes(e.data) };
}

function snapshotRecord(s: Snapshot): Snapshot {
  return { metadata: s.metadata, data: ownBytes(s.data) };
}

export class IndexedDbStorage extends ViewStorage {
  private tail: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private lost: IndexedDbUnavailableReason | undefined;
  private readonly chunks: ChunkIndex;

  /** Use openIndexedDbStorage. */
  constructor(
    readonly name: string,
    private readonly db: IDBPDatabase<MeshraftDb>,
    private readonly keyRange: typeof IDBKeyRange,
    state: LoadedState,
    readonly durability: IndexedDbDurability,
    private readonly releaseLock: () => void,
    /**
     * Whether the origin's storage is persistent (navigator.storage.persisted()) at open; undefined
     * where the Storage API is missing. Best-effort storage can be evicted under disk pressure,
     * and a node that comes back with an empty log under its old id breaks its Raft promises:
     * apps should call navigator.storage.persist() (a user decision in some browsers).
     */
    readonly persisted: boolean | undefined,
  ) {
    super(state);
    this.chunks = new ChunkIndex(state.chunkStarts);
  }

  /** Called by the connection's versionchange/close handlers. */
  markLost(reason: IndexedDbUnavailableReason): void {
    this.lost ??= reason;
  }

  save(update: StorageUpdate): Promise<void> {
    return this.enqueue(async () => {
      const plan = planUpdate(this.log, update);
      await this.write(ALL_STORES, (store) => this.writePlan(store, plan));
      this.applyUpdate(update);
      this.chunks.saved(update.snapshot !== undefined, plan.truncateFrom, plan.entries[0]?.index);
    });
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.enqueue(async () => {
      checkCompact(this.log, snapshot);
      const index = snapshot.metadata.index;
      // The chunk holding `index` goes with the covered ones; its entries after `index` are
      // stored again as a chunk of their own.
      const end = this.chunks.chunkEnd(this.chunks.chunkOf(index), this.log.lastIndex());
      const rest = end > index ? this.log.entries(index + 1, end + 1) : [];
      await this.write(['entries', 'snapshot'], (store) => {
        store('snapshot').put(snapshotRecord(snapshot), SNAPSHOT_KEY);
        store('entries').delete(this.keyRange.upperBound(index));
        if (rest.length > 0) store('entries').put(rest.map(entryRecord), index + 1);
      });
      this.applyCompact(snapshot);
      this.chunks.compacted(index, rest.length > 0 ? index + 1 : undefined);
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.enqueue(async () => {
      checkMeta(key, value);
      await this.write(['state'], (store) => store('state').put(value, metaKey(key)));
      this.applyMeta(key, value);
    });
  }

  /** Idempotent: writes issued before it still complete, then the connection closes. */
  close(): Promise<void> {
    this.closing ??= this.tail.then(() => {
      this.db.close();
      this.markClosed();
      this.releaseLock();
    });
    return this.closing;
  }

  /** Run `op` after every earlier write settled; reject at once once closed or lost. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new StorageClosedError());
    const result = this.tail.then(() => {
      if (this.lost !== undefined) {
        throw new IndexedDbUnavailableError(this.lost, `the connection to ${this.name} was closed`);
      }
      return op();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * One readwrite transaction; `fill` issues its requests on the raw stores. No promise per
   * request: a failed request (unhandled) aborts the transaction with its error, which tx.done
   * reports, and that is the precise cause (QuotaExceededError shows up there). Skipping idb's
   * per-request promises saves a promise and two listeners per entry in large batches.
   */
  private async write(stores: StoreName[], fill: (store: (name: StoreName) => IDBObjectStore) => void): Promise<void> {
    let tx: IDBPTransaction<MeshraftDb, StoreName[], 'readwrite'> | undefined;
    try {
      tx = this.db.transaction(stores, 'readwrite', { durability: this.durability });
      const raw = unwrap(tx);
      fill((name) => raw.objectStore(name));
    } catch (err) {
      try {
        tx?.abort();
      } catch {
        // already finished or never started: the original error is what matters
      }
      if (tx !== undefined) await tx.done.catch(() => undefined);
      throw toWriteError(err, this.lost);
    }
    try {
      await tx.done;
    } catch (err) {
      throw toWriteError(tx.error ?? err, this.lost);
    }
  }

  private writePlan(store: (name: StoreName) => IDBObjectStore, plan: UpdatePlan): void {
    const { snapshot, hardState } = plan.update;
    const entries = store('entries');
    const state = store('state');
    if (snapshot !== undefined) {
      entries.clear();
      store('snapshot').put(snapshotRecord(snapshot), SNAPSHOT_KEY);
    }
    const cut = plan.truncateFrom;
    if (cut !== undefined) {
      // Chunks from the cut on go; the chunk it falls inside keeps the entries before it.
      const start = this.chunks.chunkOf(cut);
      entries.delete(this.keyRange.lowerBound(cut));
      if (start < cut) entries.put(this.log.entries(start, cut).map(entryRecord), start);
    }
    const first = plan.entries[0];
    if (first !== undefined) entries.put(plan.entries.map(entryRecord), first.index);
    if (hardState !== undefined) state.put(hardState, HARD_STATE_KEY);
  }
}

function resolveFactory(options: IndexedDbStorageOptions): { factory: IDBFactory; keyRange: typeof IDBKeyRange } {
  const g = globalThis as { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange };
  let factory: IDBFactory | undefined;
  try {
    factory = options.indexedDB ?? g.indexedDB;
  } catch (err) {
    // Some sandboxed contexts throw SecurityError on merely reading the global.
    throw new IndexedDbUnavailableError('missing', 'reading the indexedDB global threw', { cause: err });
  }
  const keyRange = options.keyRange ?? g.IDBKeyRange;
  if (factory === undefined || factory === null) {
    throw new IndexedDbUnavailableError('missing', 'there is no indexedDB in this environment and none was given');
  }
  if (keyRange === undefined) {
    throw new IndexedDbUnavailableError('missing', 'there is no IDBKeyRange global: pass keyRange with indexedDB');
  }
  // idb recognises requests and connections with `instanceof` against the global classes.
  if (typeof (globalThis as { IDBRequest?: unknown }).IDBRequest !== 'function') {
    throw new IndexedDbUnavailableError('missing', 'the IndexedDB classes are not globals (in Node: import fake-indexeddb/auto)');
  }
  return { factory, keyRange };
}

async function storagePersisted(): Promise<boolean | undefined> {
  const manager = (globalThis as { navigator?: { storage?: { persisted?: () => Promise<boolean> } } }).navigator?.storage;
  if (typeof manager?.persisted !== 'function') return undefined;
  try {
    return await manager.persisted();
  } catch {
    return undefined; // some sandboxed contexts refuse the query; that is "unknown", not an error
  }
}

function checkOptions(options: IndexedDbStorageOptions): void {
  if (typeof options !== 'object' || options === null) throw new IndexedDbOptionsError('options are required');
  if (typeof options.cluster !== 'string' || options.cluster === '') {
    throw new IndexedDbOptionsError('cluster must be a non-empty string');
  }
  if (options.nodeId !== undefined && (typeof options.nodeId !== 'string' || options.nodeId === '')) {
    throw new IndexedDbOptionsError('nodeId must be a non-empty string when given');
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new IndexedDbOptionsError('name must be a non-empty string when given');
  }
  const d = options.durability;
  if (d !== undefined && d !== 'strict' && d !== 'relaxed') {
    throw new IndexedDbOptionsError(`durability must be 'strict' or 'relaxed', not ${String(d)}`);
  }
}

/**
 * Open (creating if needed) the node's database and load its state. Rejects with
 * IndexedDbUnavailableError when IndexedDB is missing, blocked or refuses to open, and with
 * IndexedDbCorruptError when the stored log is inconsistent.
 */
export async function openIndexedDbStorage(options: IndexedDbStorageOptions): Promise<IndexedDbStorage> {
  checkOptions(options);
  const { factory, keyRange } = resolveFactory(options);
  const name = options.name ?? databaseName(options.cluster, options.nodeId);
  const locks = options.locks === undefined ? defaultLockManager() : options.locks;
  const releaseLock = locks ? await acquireNodeLock(locks, name) : () => undefined;
  let storage: IndexedDbStorage | undefined;
  let lostEarly: IndexedDbUnavailableReason | undefined;
  let loaded: LoadedState;
  let db: IDBPDatabase<MeshraftDb>;
  try {
    db = await openDatabase(factory, name, {
      onLost: (reason) => (storage ? storage.markLost(reason) : (lostEarly ??= reason)),
    });
    try {
      loaded = await loadState(db);
    } catch (err) {
      db.close();
      if (err instanceof MeshraftError) throw err;
      throw new IndexedDbUnavailableError(lostEarly ?? 'open-failed', `cannot read ${name}`, { cause: err });
    }
  } catch (err) {
    releaseLock();
    throw err;
  }
  const persisted = await storagePersisted();
  storage = new IndexedDbStorage(name, db, keyRange, loaded, options.durability ?? 'strict', releaseLock, persisted);
  if (lostEarly !== undefined) storage.markLost(lostEarly);
  return storage;
}
