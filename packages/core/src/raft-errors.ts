/**
 * @module raft-errors
 * Errors thrown by the Raft core's public API. Each has a stable `code`; see docs/core.md.
 * Network input never throws (bad or stale messages are dropped); only local calls with bad
 * arguments, or a call the node cannot serve right now, throw.
 */
import { MeshraftError } from './errors.js';
import type { NodeId } from './types.js';

/**
 * A proposal (or conf change) could not be accepted: no known leader, forwarding disabled, a
 * leadership transfer in progress, or another conf change pending. `leader` names the leader
 * this node knows of, so the caller can retry there.
 */
export class ProposalDroppedError extends MeshraftError {
  constructor(
    readonly leader: NodeId | null,
    readonly reason: string,
  ) {
    super('PROPOSAL_DROPPED', `proposal dropped: ${reason}${leader === null ? '' : ` (leader is ${leader})`}`);
  }
}

/** A ReadIndex request could not be started because no leader is known. */
export class ReadIndexDroppedError extends MeshraftError {
  constructor(readonly reason: string) {
    super('READ_INDEX_DROPPED', `read index dropped: ${reason}`);
  }
}

/** The RaftConfig passed to RawNode is invalid (message says which field). */
export class InvalidConfigError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** A message or conf change handed to the core is malformed. */
export class InvalidArgumentError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * The persisted state contradicts the protocol (e.g. a commit index past the end of the log, or
 * a committed entry being overwritten): storage lost data the node had acknowledged.
 */
export class LogCorruptionError extends MeshraftError {
  constructor(message: string) {
    super('LOG_CORRUPTION', message);
  }
}
