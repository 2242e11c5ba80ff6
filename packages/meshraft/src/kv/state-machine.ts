/**
 * @module state-machine
 * The contract between a meshraft node and the application state it replicates. The node decodes
 * each committed Normal entry with `decodeCommand`, applies it in log order, and hands out
 * `snapshot()`/`restore()` bytes for log compaction and catch-up.
 */

/** Where an entry sits in the log; the state machine may record it but must not branch on time. */
export interface ApplyContext {
  readonly index: number;
  readonly term: number;
}

export interface StateMachine<Command, Result, Query, QueryResult> {
  /**
   * Apply one committed command. Must be deterministic (no clocks, no randomness, no I/O): the same
   * log gives the same state on every replica. Must not throw: a command that cannot be applied is
   * answered with an error result and leaves the state unchanged.
   */
  apply(command: Command, ctx: ApplyContext): Result;
  /** Read the current state. Must not mutate it. */
  query(query: Query): QueryResult;
  /** Everything `restore` needs to rebuild this exact state; byte-identical across replicas. */
  snapshot(): Uint8Array;
  /** Replace the whole state with a snapshot. Throws a MeshraftError if the bytes are not one. */
  restore(data: Uint8Array): void;
  /** Command → entry data. */
  encodeCommand(command: Command): Uint8Array;
  /**
   * Entry data → command. Never throws: bytes that are not a command decode to a value that
   * `apply` answers with an error result, identically on every replica.
   */
  decodeCommand(data: Uint8Array): Command;
}

/** Decode and apply one entry's data: what the node runtime does for each committed entry. */
export function applyEntryData<C, R, Q, QR>(
  sm: StateMachine<C, R, Q, QR>,
  data: Uint8Array,
  ctx: ApplyContext,
): R {
  return sm.apply(sm.decodeCommand(data), ctx);
}
