/**
 * @module file
 * `@meshraft/storage/file`: the durable file backend for Node and Deno (see docs/storage.md).
 */
export { openFileStorage, DEFAULT_SEGMENT_BYTES, type FileStorageOptions } from './file-storage.js';
export type { StorageLogger } from './layout.js';
export { CorruptLogError, DataDirLockedError, DataDirUnusableError, InvalidOptionsError, StorageIOError } from './errors.js';
