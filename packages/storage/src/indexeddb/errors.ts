/**
 * @module indexeddb/errors
 * Errors of the IndexedDB backend. Every failure to persist rejects the save with one of these
 * (never a silent loss): the in-memory view is only updated after the transaction committed.
 */
import { MeshraftError } from '@meshraft/core';

/** Why IndexedDB cannot be used. */
export type IndexedDbUnavailableReason =
  /** No `indexedDB` global (Node, some sandboxed iframes) and none was injected. */
  | 'missing'
  /** `open()` threw or failed (Firefox private mode, disabled storage, SecurityError). */
  | 'open-failed'
  /** Another connection holds an older schema version open and did not close. */
  | 'blocked'
  /** The database was created by a newer schema version than this code knows. */
  | 'version'
  /** The connection was closed for another tab's upgrade or deletion (versionchange). */
  | 'versionchange'
  /** The browser closed the connection (storage cleared, disk error). */
  | 'terminated';

/** IndexedDB cannot be opened or the connection was lost. Code `INDEXEDDB_UNAVAILABLE`. */
export class IndexedDbUnavailableError extends MeshraftError {
  constructor(
    readonly reason: IndexedDbUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('INDEXEDDB_UNAVAILABLE', `IndexedDB unavailable (${reason}): ${message}`, options);
  }
}

/**
 * Another handle (this tab, another tab or a worker of the same origin) has this node's database
 * open. Close it first. Code `INDEXEDDB_LOCKED`.
 */
export class IndexedDbLockedError extends MeshraftError {
  constructor(readonly database: string) {
    super('INDEXEDDB_LOCKED', `${database} is already open in another handle of this origin`);
  }
}

/** The browser refused a write for lack of quota. Nothing of the update was written. Code `QUOTA_EXCEEDED`. */
export class StorageQuotaExceededError extends MeshraftError {
  constructor(options?: { cause?: unknown }) {
    super('QUOTA_EXCEEDED', 'the storage quota is exhausted; the update was not persisted', options);
  }
}

/** A write transaction aborted for another reason. Nothing of the update was written. Code `INDEXEDDB_WRITE_FAILED`. */
export class IndexedDbWriteError extends MeshraftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INDEXEDDB_WRITE_FAILED', `IndexedDB write failed: ${message}`, options);
  }
}

/**
 * The stored log is inconsistent (a hole, or entries not right after the snapshot), so entries
 * acknowledged earlier may be lost; open refuses rather than guess. Code `CORRUPT_LOG`, as the
 * file backend's CorruptLogError.
 */
export class IndexedDbCorruptError extends MeshraftError {
  constructor(message: string) {
    super('CORRUPT_LOG', `stored Raft state is corrupt: ${message}`);
  }
}

/** openIndexedDbStorage was called with unusable options. Code `INVALID_OPTIONS`, as the file backend's. */
export class IndexedDbOptionsError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

function domErrorName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string') return err.name;
  return undefined;
}

/**
 * Map what a failed write transaction reports (its `error`, a request error, or a synchronous
 * throw) to a MeshraftError. Chromium reports quota as a transaction abort whose error is a
 * DOMException named QuotaExceededError; a closing connection shows up as InvalidStateError.
 */
export function toWriteError(err: unknown, closedBy?: IndexedDbUnavailableReason): MeshraftError {
  if (err instanceof MeshraftError) return err;
  const name = domErrorName(err);
  if (name === 'QuotaExceededError') return new StorageQuotaExceededError({ cause: err });
  if (closedBy !== undefined) {
    return new IndexedDbUnavailableError(closedBy, 'the connection closed during the write', { cause: err });
  }
  const detail = err instanceof Error ? err.message || name : String(err);
  return new IndexedDbWriteError(detail ?? 'transaction aborted', { cause: err });
}
