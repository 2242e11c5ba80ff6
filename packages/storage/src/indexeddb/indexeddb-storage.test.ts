import { describe, expect, it, vi } from 'vitest';
import { IDBFactory as FakeFactory, IDBDatabase as FakeDatabase, IDBKeyRange, forceCloseDatabase } from 'fake-indexeddb';
import {
  EMPTY_CONF_STATE,
  EntryType,
  LogGapError,
  SnapshotOutOfDateError,
  type ConfState,
  type Entry,
  type Snapshot,
} from '@meshraft/core';
import { InvalidUpdateError, StorageClosedError } from '../errors.js';
import {
  IndexedDbLockedError,
  IndexedDbUnavailableError,
  IndexedDbOptionsError,
  IndexedDbCorruptError,
  StorageQuotaExceededError,
  openIndexedDbStorage,
} from './index.js';
import { failPutsWithQuota, fakeIdb, fakeLocks, type FakeIdb } from './__tests__/fake-idb.js';
import { CONF_STATE_KEY } from './schema.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const entry = (index: number, term: number, data = bytes(index & 0xff)): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data,
});
const range = (lo: number, hi: number, term: number) => Array.from({ length: hi - lo + 1 }, (_, i) => entry(lo + i, term));
const conf = (...voters: string[]): ConfState => ({ ...EMPTY_CONF_STATE, voters });
const snapshotAt = (index: number, term: number, c = conf('a', 'b')): Snapshot => ({
  metadata: { index, term, confState: c },
  data: bytes(9, 9),
});

describe('openIndexedDbStorage', () => {
  it('starts empty and persists hard state, entries and meta across a reopen', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.initialState().hardState).toEqual({ term: 0, vote: null, commit: 0 });
    await s.save({ entries: range(1, 5, 1), hardState: { term: 1, vote: 'a', commit: 3 } });
    await s.setMeta('id', 'n1');
    await s.close();

    const r = await openIndexedDbStorage(idb.options());
    expect(r.lastIndex()).toBe(5);
    expect(r.entries(1, 6)).toEqual(range(1, 5, 1));
    expect(r.initialState().hardState).toEqual({ term: 1, vote: 'a', commit: 3 });
    expect(r.getMeta('id')).toBe('n1');
    expect(r.getMeta('other')).toBeUndefined();
    await r.close();
  });

  it('ignores a configuration stored beside the snapshot by older versions (stale after a compaction)', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ snapshot: { metadata: { index: 1, term: 1, confState: conf('a') }, data: new Uint8Array() }, hardState: { term: 1, vote: null, commit: 1 } });
    await s.save({ entries: range(2, 29, 1), hardState: { term: 1, vote: 'a', commit: 29 } });
    await s.compact({ metadata: { index: 20, term: 1, confState: conf('a', 'b', 'c') }, data: new Uint8Array([7]) });
    // Older versions kept the founding configuration under this key and never moved it on.
    const raw = idb.connections[idb.connections.length - 1]!;
    await new Promise<void>((resolve, reject) => {
      const tx = raw.transaction('state', 'readwrite');
      tx.objectStore('state').put(conf('a'), CONF_STATE_KEY);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect(r.initialState().confState).toEqual(conf('a', 'b', 'c'));
    await r.close();
  });

  it('persists the truncation of a conflicting suffix', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 6, 1) });
    await s.save({ entries: range(4, 5, 2), hardState: { term: 2, vote: null, commit: 0 } });
    expect(s.lastIndex()).toBe(5);
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect(r.lastIndex()).toBe(5);
    expect(r.entries(1, 6).map((e) => e.term)).toEqual([1, 1, 1, 2, 2]);
    await r.close();
  });

  it('persists compaction: the snapshot replaces the entries it covers, later ones stay', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: [...range(1, 3, 1), ...range(4, 8, 2)] });
    await s.compact(snapshotAt(5, 2));
    expect(s.firstIndex()).toBe(6);
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect(r.firstIndex()).toBe(6);
    expect(r.lastIndex()).toBe(8);
    expect(r.term(5)).toBe(2);
    expect(r.snapshot()).toEqual(snapshotAt(5, 2));
    expect(r.entries(6, 9)).toEqual(range(6, 8, 2));
    await r.close();
  });

  it('persists a snapshot from the leader as the whole new log, then the entries after it', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 4, 1) });
    await s.save({ snapshot: snapshotAt(10, 3, conf('x')), entries: range(9, 12, 3) });
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect([r.firstIndex(), r.lastIndex()]).toEqual([11, 12]);
    expect(r.initialState().confState).toEqual(conf('x'));
    expect(r.entries(11, 13)).toEqual(range(11, 12, 3));
    await r.close();
  });

  it('keeps one database per cluster and node id', async () => {
    const idb = fakeIdb();
    const a = await openIndexedDbStorage(idb.options({ nodeId: 'a' }));
    const b = await openIndexedDbStorage(idb.options({ nodeId: 'b' }));
    await a.save({ entries: range(1, 2, 1) });
    expect(b.lastIndex()).toBe(0);
    expect([a.name, b.name]).toEqual(['meshraft/c/a', 'meshraft/c/b']);
    await Promise.all([a.close(), b.close()]);
  });

  it('stores a copy of a view, not the whole buffer behind it', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    const big = new Uint8Array(1 << 16).fill(7);
    await s.save({ entries: [entry(1, 1, big.subarray(10, 13))] });
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    const data = r.entries(1, 2)[0]!.data;
    expect(data).toEqual(bytes(7, 7, 7));
    expect(data.buffer.byteLength).toBe(3);
    await r.close();
  });

  it('applies saves issued without waiting in order', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await Promise.all([s.save({ entries: range(1, 3, 1) }), s.save({ entries: range(4, 6, 1) }), s.setMeta('k', 'v')]);
    expect(s.lastIndex()).toBe(6);
    await s.close();
  });
});

describe('one handle per database', () => {
  it('refuses a second open of the same node until the first closes (INDEXEDDB_LOCKED)', async () => {
    const idb = fakeIdb();
    const locks = fakeLocks();
    const first = await openIndexedDbStorage(idb.options({ locks }));
    const err = await openIndexedDbStorage(idb.options({ locks })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexedDbLockedError);
    expect(err).toMatchObject({ code: 'INDEXEDDB_LOCKED', database: 'meshraft/c/n1' });
    const other = await openIndexedDbStorage(idb.options({ locks, nodeId: 'n2' }));
    await first.close();
    const second = await openIndexedDbStorage(idb.options({ locks }));
    await Promise.all([other.close(), second.close()]);
  });

  it('releases the lock when the open fails', async () => {
    const idb = fakeIdb();
    const locks = fakeLocks();
    const failing = { ...idb.options({ locks }), indexedDB: { open: () => { throw new Error('nope'); } } as unknown as IDBFactory };
    await expect(openIndexedDbStorage(failing)).rejects.toBeInstanceOf(IndexedDbUnavailableError);
    const s = await openIndexedDbStorage(idb.options({ locks }));
    await s.close();
  });
});

describe('durability', () => {
  it.each(['strict', 'relaxed'] as const)('opens every write transaction with durability %s', async (durability) => {
    const idb = fakeIdb();
    const spy = vi.spyOn(FakeDatabase.prototype, 'transaction');
    try {
      const s = await openIndexedDbStorage(idb.options({ durability }));
      await s.save({ entries: range(1, 2, 1), hardState: { term: 1, vote: null, commit: 1 } });
      await s.setMeta('k', 'v');
      const writes = spy.mock.calls.filter((c) => c[1] === 'readwrite');
      expect(writes).toHaveLength(2);
      for (const call of writes) expect(call[2]).toEqual({ durability });
      await s.close();
      const r = await openIndexedDbStorage(idb.options({ durability }));
      expect(r.lastIndex()).toBe(2);
      await r.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('defaults to strict, and reports no eviction status where the Storage API is missing', async () => {
    const s = await openIndexedDbStorage(fakeIdb().options());
    expect(s.durability).toBe('strict');
    expect(s.persisted).toBeUndefined();
    await s.close();
  });
});

describe('failures', () => {
  it('rejects with INDEXEDDB_UNAVAILABLE when there is no indexedDB', async () => {
    expect('indexedDB' in globalThis).toBe(false);
    const err = await openIndexedDbStorage({ cluster: 'c' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexedDbUnavailableError);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'missing' });
  });

  it('rejects with INDEXEDDB_UNAVAILABLE when open throws (private mode)', async () => {
    const cause = new DOMException('denied', 'SecurityError');
    const factory = {
      open: () => {
        throw cause;
      },
    } as unknown as IDBFactory;
    const err = await openIndexedDbStorage({ cluster: 'c', indexedDB: factory, keyRange: IDBKeyRange }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'open-failed', cause });
  });

  it('rejects with reason blocked when an older connection does not let go', async () => {
    // A request that only ever reports `blocked`, as when another tab ignores versionchange.
    const request = {} as IDBOpenDBRequest;
    const factory = {
      open: () => {
        queueMicrotask(() => request.onblocked?.call(request, new Event('blocked') as IDBVersionChangeEvent));
        return request;
      },
    } as unknown as IDBFactory;
    const err = await openIndexedDbStorage({ cluster: 'c', indexedDB: factory, keyRange: IDBKeyRange }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'blocked' });
  });

  it('rejects with reason version when a newer schema created the database', async () => {
    const idb = fakeIdb();
    await new Promise<void>((resolve, reject) => {
      const req = idb.factory.open('meshraft/c/n1', 99);
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const err = await openIndexedDbStorage(idb.options()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'version' });
  });

  it('closes on versionchange so another tab can delete or upgrade, and then rejects writes', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 2, 1) });
    await new Promise<void>((resolve, reject) => {
      const req = idb.factory.deleteDatabase(s.name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('our connection blocked the delete'));
    });
    const err = await s.save({ entries: range(3, 3, 1) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'versionchange' });
    expect(s.lastIndex()).toBe(2);
    await s.close();
  });

  it('rejects writes after the browser closed the connection', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    forceCloseDatabase(idb.connections[0] as unknown as typeof FakeDatabase);
    const err = await s.save({ entries: range(1, 1, 1) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INDEXEDDB_UNAVAILABLE', reason: 'terminated' });
    await s.close();
  });

  it('maps a QuotaExceededError abort to QUOTA_EXCEEDED and writes nothing of the update', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 2, 1), hardState: { term: 1, vote: null, commit: 0 } });
    const restore = failPutsWithQuota();
    let err: unknown;
    try {
      err = await s.save({ entries: range(2, 4, 2), hardState: { term: 2, vote: 'b', commit: 1 } }).catch((e: unknown) => e);
    } finally {
      restore();
    }
    expect(err).toBeInstanceOf(StorageQuotaExceededError);
    expect(err).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    // Neither the view nor the disk moved: the truncation and hard state went with the entries.
    expect(s.entries(1, 3).map((e) => e.term)).toEqual([1, 1]);
    expect(s.initialState().hardState.term).toBe(1);
    await s.save({ entries: range(3, 3, 1) }); // and the storage still works
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect(r.entries(1, 4).map((e) => e.term)).toEqual([1, 1, 1]);
    expect(r.initialState().hardState).toEqual({ term: 1, vote: null, commit: 0 });
    await r.close();
  });

  it('refuses a stored log with a hole (CORRUPT_LOG)', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 3, 1) });
    await s.save({ entries: range(4, 6, 1) });
    await s.close();
    const db = await rawOpen(idb.factory);
    await rawWrite(db, (store) => store.put(range(5, 6, 1), 5)); // entry 4 lost
    db.close();
    const err = await openIndexedDbStorage(idb.options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexedDbCorruptError);
    expect(err).toMatchObject({ code: 'CORRUPT_LOG' });
  });
});

describe('chunked entries', () => {
  it('stores one record per save and rewrites only the chunk a truncation or compaction cuts', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 5, 1) });
    await s.save({ entries: range(6, 9, 1) });
    await s.save({ entries: range(10, 12, 1) });
    expect(await rawChunks(s.name, idb)).toEqual([[1, 5], [6, 9], [10, 12]]);
    await s.save({ entries: range(8, 8, 2) }); // cuts the middle chunk, drops the last
    expect(await rawChunks(s.name, idb)).toEqual([[1, 5], [6, 7], [8, 8]]);
    await s.compact(snapshotAt(3, 1));
    expect(await rawChunks(s.name, idb)).toEqual([[4, 5], [6, 7], [8, 8]]);
    await s.compact(snapshotAt(6, 1));
    expect(await rawChunks(s.name, idb)).toEqual([[7, 7], [8, 8]]);
    await s.save({ entries: range(7, 9, 3) }); // truncation exactly at a chunk start
    expect(await rawChunks(s.name, idb)).toEqual([[7, 9]]);
    await s.compact(snapshotAt(9, 3)); // everything
    expect(await rawChunks(s.name, idb)).toEqual([]);
    await s.save({ entries: range(10, 11, 3) });
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect([r.firstIndex(), r.lastIndex(), r.term(9)]).toEqual([10, 11, 3]);
    await r.close();
  });
});

/** [first, last] index of every stored chunk, read through a second connection. */
async function rawChunks(name: string, idb: FakeIdb): Promise<number[][]> {
  const db = await rawOpen(idb.factory, name);
  try {
    const chunks = await new Promise<Entry[][]>((resolve, reject) => {
      const req = db.transaction('entries').objectStore('entries').getAll();
      req.onsuccess = () => resolve(req.result as Entry[][]);
      req.onerror = () => reject(req.error);
    });
    return chunks.map((c) => [c[0]!.index, c[c.length - 1]!.index]);
  } finally {
    db.close();
  }
}

function rawOpen(factory: IDBFactory, name = 'meshraft/c/n1'): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function rawWrite(db: IDBDatabase, fill: (store: IDBObjectStore) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction('entries', 'readwrite');
    fill(tx.objectStore('entries'));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

describe('bad input', () => {
  it.each([
    ['no cluster', { cluster: '' }],
    ['empty node id', { cluster: 'c', nodeId: '' }],
    ['unknown durability', { cluster: 'c', durability: 'eventual' }],
  ])('rejects options with %s', async (_, options) => {
    const err = await openIndexedDbStorage(options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexedDbOptionsError);
    expect(err).toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('rejects malformed updates before writing anything', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    await s.save({ entries: range(1, 2, 1) });
    const bad: unknown[] = [
      { entries: [{ index: 3, term: 1, type: 0, data: [1, 2] }] },
      { entries: [{ index: 'x', term: 1, type: 0, data: bytes() }] },
      { hardState: { term: -1, vote: null, commit: 0 } },
      { snapshot: { metadata: { index: 5 }, data: bytes() } },
    ];
    for (const update of bad) {
      await expect(s.save(update as never)).rejects.toBeInstanceOf(InvalidUpdateError);
    }
    await expect(s.save({ entries: [entry(4, 1)] })).rejects.toBeInstanceOf(LogGapError);
    await expect(s.save({ entries: [entry(3, 1), entry(5, 1)] })).rejects.toBeInstanceOf(LogGapError);
    await expect(s.save({ snapshot: snapshotAt(0, 0) })).rejects.toBeInstanceOf(SnapshotOutOfDateError);
    await expect(s.compact({ ...snapshotAt(2, 7) })).rejects.toBeInstanceOf(InvalidUpdateError);
    await expect(s.setMeta('k', 5 as never)).rejects.toBeInstanceOf(InvalidUpdateError);
    expect(s.lastIndex()).toBe(2);
    await s.close();
    const r = await openIndexedDbStorage(idb.options());
    expect(r.entries(1, 3)).toEqual(range(1, 2, 1));
    await r.close();
  });
});

describe('close', () => {
  it('lets queued writes finish, is idempotent, then refuses every call', async () => {
    const idb = fakeIdb();
    const s = await openIndexedDbStorage(idb.options());
    const pending = s.save({ entries: range(1, 3, 1) });
    const closed = s.close();
    await expect(pending).resolves.toBeUndefined();
    await closed;
    await expect(s.close()).resolves.toBeUndefined();
    await expect(s.save({ entries: range(4, 4, 1) })).rejects.toBeInstanceOf(StorageClosedError);
    await expect(s.setMeta('k', 'v')).rejects.toBeInstanceOf(StorageClosedError);
    expect(() => s.lastIndex()).toThrow(StorageClosedError);
    expect(() => s.getMeta('k')).toThrow(StorageClosedError);
    const r = await openIndexedDbStorage(idb.options());
    expect(r.lastIndex()).toBe(3);
    await r.close();
  });

  it('works against a separate factory instance (no shared global state)', async () => {
    const factory = new FakeFactory();
    const s = await openIndexedDbStorage({ cluster: 'solo', indexedDB: factory, keyRange: IDBKeyRange });
    expect(s.name).toBe('meshraft/solo');
    await s.close();
  });
});
