/**
 * @module peer-errors
 * Errors of the `meshraft` command line (codes are listed in docs/peer.md).
 */
import { MeshraftError } from '@meshraft/core';

/** Bad command-line flags: the CLI prints the message and the usage, then exits 2. Code `USAGE`. */
export class UsageError extends MeshraftError {
  constructor(message: string) {
    super('USAGE', message);
  }
}
