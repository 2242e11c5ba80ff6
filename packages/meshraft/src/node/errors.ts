/**
 * @module errors
 * Errors the node runtime rejects with. Codes are stable and listed in docs/runtime.md.
 */
import { MeshraftError } from '@meshraft/core';

/** Nothing was committed (or no read index confirmed) within the timeout: no reachable quorum. */
export class NoQuorumError extends MeshraftError {
  constructor(
    readonly timeoutMs: number,
    /** For a proposal: pass back as `propose(cmd, { request })` to retry it exactly once. */
    readonly request?: { readonly client: string; readonly seq: number },
  ) {
    super('NO_QUORUM', `no quorum answered within ${timeoutMs} ms`);
  }
}

/** A retried request was already answered and its result forgotten (the client acked it). */
export class StaleRequestError extends MeshraftError {
  constructor(readonly request: { readonly client: string; readonly seq: number }) {
    super('STALE_REQUEST', `request ${request.client}#${request.seq} was already answered`);
  }
}

/** The state machine threw while applying the entry at `index` (it should return an error result). */
export class ApplyFailedError extends MeshraftError {
  constructor(readonly index: number, cause: unknown) {
    super('APPLY_FAILED', `state machine failed to apply entry ${index}`, { cause });
  }
}

/** The node was stopped (or left) before the operation finished. */
export class NodeStoppedError extends MeshraftError {
  constructor() {
    super('NODE_STOPPED', 'the node is stopped');
  }
}

/** The encoded command exceeds the node's maxProposalBytes. */
export class ProposalTooLargeError extends MeshraftError {
  constructor(readonly bytes: number, readonly limit: number) {
    super('PROPOSAL_TOO_LARGE', `proposal of ${bytes} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** A leader-only operation (membership, transfer) was asked of a node that does not know a leader. */
export class NoLeaderError extends MeshraftError {
  constructor(readonly operation: string) {
    super('NO_LEADER', `${operation}: no known leader`);
  }
}

/** An option or argument is invalid (caught before anything is started or proposed). */
export class InvalidOptionError extends MeshraftError {
  constructor(readonly option: string, reason: string) {
    super('INVALID_OPTION', `${option}: ${reason}`);
  }
}

/** A stored node id disagrees with the one passed to createNode. */
export class NodeIdMismatchError extends MeshraftError {
  constructor(readonly storedId: string, readonly requestedId: string) {
    super('NODE_ID_MISMATCH', `storage belongs to node ${storedId}, not ${requestedId}`);
  }
}

/** Storage (or the `clusterId` option) belongs to another cluster id than the one asked for. */
export class ClusterIdMismatchError extends MeshraftError {
  constructor(readonly storedId: string, readonly requestedId: string) {
    super('CLUSTER_ID_MISMATCH', `storage belongs to cluster id ${storedId}, not ${requestedId}`);
  }
}

/**
 * This node's history lost a fork under its name (fork-detector): it accepts no more writes.
 * Its committed commands were handed over with the node's 'fork' event.
 */
export class ClusterForkedError extends MeshraftError {
  constructor(readonly clusterId: string, readonly survivorId: string) {
    super('CLUSTER_FORKED', `cluster ${clusterId} was forked under its name; cluster ${survivorId} continues`);
  }
}
