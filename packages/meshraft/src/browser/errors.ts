/**
 * @module errors
 * Errors of the browser helpers. Codes are listed in docs/workers.md.
 */
import { MeshraftError } from '@meshraft/core';

/** attachPageLifecycle / createTickGate got an unusable argument (no document, bad duration...). */
export class LifecycleInputError extends MeshraftError {
  constructor(message: string) {
    super('LIFECYCLE_INPUT', message);
  }
}
