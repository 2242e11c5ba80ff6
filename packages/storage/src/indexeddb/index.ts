/**
 * @module indexeddb
 * `@meshraft/storage/indexeddb`: durable Raft storage for browser nodes (windows and workers).
 */
export {
  IndexedDbStorage,
  openIndexedDbStorage,
  type IndexedDbDurability,
  type IndexedDbStorageOptions,
} from './indexeddb-storage.js';
export {
  IndexedDbLockedError,
  IndexedDbUnavailableError,
  IndexedDbWriteError,
  IndexedDbOptionsError,
  IndexedDbCorruptError,
  StorageQuotaExceededError,
  type IndexedDbUnavailableReason,
} from './errors.js';
export { databaseName } from './schema.js';
export type { LockManagerLike } from './node-lock.js';
