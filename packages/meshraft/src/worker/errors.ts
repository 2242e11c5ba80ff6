/**
 * @module errors
 * Errors of the worker bridges. Codes are listed in docs/workers.md.
 */
import { MeshraftError } from '@meshraft/core';

/** The other side of the port never said hello within the timeout, or the port was closed. */
export class BridgeClosedError extends MeshraftError {
  constructor(message: string) {
    super('BRIDGE_CLOSED', message);
  }
}

/** An argument of a bridge call is unusable (e.g. a port that is not a MessagePort). */
export class BridgeInputError extends MeshraftError {
  constructor(message: string) {
    super('BRIDGE_INPUT', message);
  }
}

/**
 * A call on the worker's node failed there. `code` is the remote error's code (`NO_QUORUM`,
 * `NODE_STOPPED`, ...), or `REMOTE_ERROR` for errors without one; `remoteName` its class name.
 */
export class RemoteNodeError extends MeshraftError {
  constructor(
    code: string,
    message: string,
    readonly remoteName: string,
  ) {
    super(code, message);
  }
}
