/**
 * @module indexeddb/__tests__/fake-idb
 * fake-indexeddb plumbing for Node tests: a fresh in-memory IndexedDB per test, a way to reach the
 * raw connection the storage opened, and a simulated quota failure.
 */
import * as fake from 'fake-indexeddb';
import { IDBFactory, IDBKeyRange, IDBObjectStore } from 'fake-indexeddb';
import type { IndexedDbStorageOptions } from '../indexeddb-storage.js';
import type { LockManagerLike } from '../node-lock.js';

// idb tests values with `instanceof IDBRequest` etc., so the fake's classes must be globals; the
// `indexedDB` global itself stays unset so each test injects its own fresh factory.
for (const [key, value] of Object.entries(fake)) {
  if (key.startsWith('IDB') && key !== 'IDBFactory') Object.assign(globalThis, { [key]: value });
}

export interface FakeIdb {
  readonly factory: IDBFactory;
  /** Options for openIndexedDbStorage on this fake (cluster `c`, node `n1` unless overridden). */
  options(extra?: Partial<IndexedDbStorageOptions>): IndexedDbStorageOptions;
  /** Every connection opened through `factory`, raw (not idb-wrapped). */
  readonly connections: IDBDatabase[];
}

export function fakeIdb(): FakeIdb {
  const inner = new IDBFactory();
  const connections: IDBDatabase[] = [];
  // Records the connections so tests can force-close or inspect them.
  const factory: IDBFactory = {
    open(name: string, version?: number) {
      const request = inner.open(name, version);
      request.addEventListener('success', () => connections.push(request.result));
      return request;
    },
    deleteDatabase: (name: string) => inner.deleteDatabase(name),
    databases: () => inner.databases(),
    cmp: (a: unknown, b: unknown) => inner.cmp(a, b),
  };
  return {
    factory,
    connections,
    options: (extra = {}) => ({ cluster: 'c', nodeId: 'n1', indexedDB: factory, keyRange: IDBKeyRange, ...extra }),
  };
}

interface FakeTransactionInternals {
  _execRequestAsync(obj: { source: IDBObjectStore; operation: () => never }): IDBRequest;
}

/**
 * Make every put fail like a write over quota does in Chromium (the request errors with a
 * QuotaExceededError and, unhandled, aborts the transaction). Returns the restore function.
 * Reaches into fake-indexeddb's request queue: there is no public way to fail a put.
 */
export function failPutsWithQuota(): () => void {
  const original = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function put(this: IDBObjectStore) {
    const tx = this.transaction as unknown as FakeTransactionInternals;
    return tx._execRequestAsync({
      source: this,
      operation: () => {
        throw new DOMException('quota exceeded (simulated)', 'QuotaExceededError');
      },
    });
  };
  return () => {
    IDBObjectStore.prototype.put = original;
  };
}

/** An in-process stand-in for navigator.locks (Node 20 has none), exclusive locks only. */
export function fakeLocks(): LockManagerLike {
  const held = new Set<string>();
  return {
    async request(name, { ifAvailable }, callback) {
      if (!ifAvailable) throw new Error('fakeLocks supports ifAvailable requests only');
      if (held.has(name)) return callback(null);
      held.add(name);
      try {
        return await callback({ name, mode: 'exclusive' });
      } finally {
        held.delete(name);
      }
    },
  };
}
