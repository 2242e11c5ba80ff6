/**
 * @module errors
 * Errors the simulator throws for bad input. Codes:
 * - `SIM_BAD_HISTORY`: a history given to the linearizability checker is malformed
 *   (e.g. an operation returns before it is called).
 * - `SIM_BAD_CONFIG`: a simulation, network or CLI option is out of range.
 */
import { MeshraftError } from '@meshraft/core';

export class BadHistoryError extends MeshraftError {
  constructor(message: string) {
    super('SIM_BAD_HISTORY', message);
  }
}

export class BadSimConfigError extends MeshraftError {
  constructor(message: string) {
    super('SIM_BAD_CONFIG', message);
  }
}
