/**
 * @module types
 * The data the Raft core persists and exchanges. These shapes are shared by the core, every
 * storage backend and the wire format, so change them only with all three in mind.
 * Node ids are strings (peer ids from the signaling server); `null` means "none".
 */

export type NodeId = string;

export const EntryType = {
  /** An application command (or an empty entry a new leader appends, with empty data). */
  Normal: 0,
  /** A membership change; data is an encoded ConfChange. */
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What a node must persist before it answers votes or acknowledges entries (Raft §5.1, Figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/**
 * Cluster membership. While a joint change is in progress `votersOutgoing` is non-empty and
 * decisions need majorities of both `voters` and `votersOutgoing` (Raft thesis §4.3).
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  /** Learners that become voters when the joint configuration is left. */
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state machine snapshot covering every entry up to and including `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 });

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  metadata: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: new Uint8Array(0),
});

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}
