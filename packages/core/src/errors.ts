/**
 * @module errors
 * Every error meshraft throws or rejects with is a MeshraftError with a stable `code`.
 * Codes are documented in docs/errors.md; subclasses add fields callers can act on.
 */

export class MeshraftError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The requested log index was compacted away; read the snapshot instead. */
export class CompactedError extends MeshraftError {
  constructor(readonly index: number, readonly firstIndex: number) {
    super('COMPACTED', `index ${index} is compacted (first index is ${firstIndex})`);
  }
}

/** The requested log index is past the end of the stored log. */
export class UnavailableError extends MeshraftError {
  constructor(readonly index: number, readonly lastIndex: number) {
    super('UNAVAILABLE', `index ${index} is unavailable (last index is ${lastIndex})`);
  }
}
