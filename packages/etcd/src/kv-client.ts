/**
 * @module kv-client
 * What the etcd gateway needs from a running node. The node runtime implements it over Raft
 * (propose → commit → apply; ReadIndex reads); `createLocalKvClient` implements it over a bare
 * state machine for tests and single-node use.
 */
import { MeshraftError, type NodeId } from '@meshraft/core';
import type { AuthView, KvCommand, KvQueryResult, KvResultOf, LeaseView, RangeQuery, WatchListener, WatchOptions, WatchReplay } from 'meshraft/kv';

/** No leader is known after the client's own wait; etcd answers "etcdserver: no leader". */
export class NoLeaderError extends MeshraftError {
  constructor(options?: { cause?: unknown }) {
    super('NO_LEADER', 'no leader', options);
  }
}

/** A proposal or read was not answered in time (etcd: "etcdserver: request timed out"). */
export class RequestTimeoutError extends MeshraftError {
  constructor(options?: { cause?: unknown }) {
    super('REQUEST_TIMEOUT', 'request timed out', options);
  }
}

export interface ReadOptions {
  /** true: reflect every write committed before the read started (ReadIndex); false: local state. */
  readonly linearizable: boolean;
}

/** Identity and term of the answering member, stamped on every response header. */
export interface ResponseIdentity {
  readonly clusterId: string;
  readonly memberId: NodeId;
  readonly raftTerm: number;
}

export interface KvClientStatus {
  /** The current leader, or null when none is known. */
  readonly leader: NodeId | null;
  readonly raftTerm: number;
  /** Highest committed log index (etcd's `raftIndex`). */
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  /** Approximate bytes held by the state (snapshot size is a fine estimate). */
  readonly dbSize: number;
  readonly isLearner: boolean;
  /** Alarms or conditions worth showing an operator; empty when healthy. */
  readonly errors: readonly string[];
  /** The KV store's compact revision (reads below it fail as compacted). */
  readonly compactRevision?: number;
}

export interface KvMember {
  readonly id: NodeId;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** A member's leases: its applied lease table and its lease keeper's clock. */
export interface KvLeases {
  readonly view: LeaseView;
  /** Milliseconds left as this member reckons it (only the leader's reckoning expires leases). */
  remainingMs(id: number): number | undefined;
  /** The shortest TTL a grant gets, in seconds (etcd's minimum lease TTL). */
  readonly minTtl: number;
}

export interface KvClient {
  /**
   * Replicate a command and resolve with its result once it is applied on this member. Rejects
   * with NoLeaderError or RequestTimeoutError when it cannot be committed.
   */
  propose<C extends KvCommand>(command: C): Promise<KvResultOf<C>>;
  read(query: RangeQuery, options: ReadOptions): Promise<KvQueryResult>;
  status(): Promise<KvClientStatus>;
  members(): Promise<readonly KvMember[]>;
  identity(): ResponseIdentity;
  /**
   * Optional: subscribe to this member's apply stream (a KvStateMachine's `watch`); returns the
   * unsubscribe function. Without it `/v3/watch` answers 501.
   */
  watch?(options: WatchOptions, listener: WatchListener): () => void;
  /**
   * Optional, with `watch`: the recorded revisions >= `startRevision` (a KvStateMachine's
   * `replay`), or the compaction that removed them. Called in the same tick as `watch`.
   */
  replay?(options: WatchOptions, startRevision: number): WatchReplay;
  /** Optional membership and leadership operations (etcd's Cluster and MoveLeader RPCs). */
  addMember?(id: NodeId, learner: boolean): Promise<void>;
  removeMember?(id: NodeId): Promise<void>;
  promoteMember?(id: NodeId): Promise<void>;
  moveLeader?(id: NodeId): Promise<void>;
  /** Optional: leases (etcd's Lease service); without it the Lease RPCs answer Unimplemented. */
  readonly leases?: KvLeases;
  /** Optional: this member's state machine snapshot (etcd's Maintenance.Snapshot). */
  snapshot?(): Promise<Uint8Array>;
  /** Optional: this member's replicated auth state; with it the server offers etcd's Auth service and checks. */
  readonly auth?: AuthView;
}
