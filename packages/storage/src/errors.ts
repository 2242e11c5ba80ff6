/**
 * @module errors
 * Errors shared by every storage backend. Backend-specific ones live beside their backend
 * (file/errors.ts, indexeddb/errors.ts). Codes are listed in docs/storage.md.
 */
import { MeshraftError } from '@meshraft/core';

/** The storage was closed; nothing more can be read or written through this handle. Code `STORAGE_CLOSED`. */
export class StorageClosedError extends MeshraftError {
  constructor() {
    super('STORAGE_CLOSED', 'the storage is closed');
  }
}

/** An update is malformed (bad index, term or shape); nothing of it was applied. Code `INVALID_UPDATE`. */
export class InvalidUpdateError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_UPDATE', message);
  }
}
