/**
 * @module file/errors
 * Errors of the file backend (codes are listed in docs/storage.md).
 */
import { MeshraftError } from '@meshraft/core';

/**
 * The log is damaged somewhere other than its tail, so records acknowledged earlier may be lost.
 * The backend refuses to start rather than silently drop them. Code `CORRUPT_LOG`.
 */
export class CorruptLogError extends MeshraftError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super('CORRUPT_LOG', `${file} is corrupt at byte ${offset}: ${reason}`);
  }
}

/** Another live process (or another handle in this one) holds the data directory. Code `DATA_DIR_LOCKED`. */
export class DataDirLockedError extends MeshraftError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super('DATA_DIR_LOCKED', `${dir} is locked by process ${pid}`);
  }
}

/**
 * The data directory cannot be used: it is a file, it or a parent cannot be created, or no file
 * can be written in it (permissions, a read-only or virtual file system). Code
 * `DATA_DIR_UNUSABLE`; `reason` says which, `cause` is the file system error when there is one.
 */
export class DataDirUnusableError extends MeshraftError {
  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: { cause: unknown },
  ) {
    super('DATA_DIR_UNUSABLE', `data directory ${dir} is unusable: ${reason}`, options);
  }
}

/**
 * A write, fsync or rename failed. What was being written is not durable, and since a failed
 * fsync cannot be retried safely, the handle refuses every later write: close it and reopen.
 * Code `STORAGE_IO_FAILED`; `cause` is the file system error.
 */
export class StorageIOError extends MeshraftError {
  constructor(message: string, options: { cause: unknown }) {
    super('STORAGE_IO_FAILED', message, options);
  }
}

/** openFileStorage was given an unusable option. Code `INVALID_OPTIONS`. */
export class InvalidOptionsError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}
