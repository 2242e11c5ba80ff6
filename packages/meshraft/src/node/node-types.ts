/**
 * @module node-types
 * The node's public shapes (status, events, per-call options) and its storage meta keys, apart
 * from the parts that produce them so every part can name them without importing the façade.
 */
import type { NodeId } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { IceRoute, LinkState, RelayReason, Transport } from '@meshraft/transport';
import type { StateMachine } from '../kv/state-machine.js';
import type { ForeignClusterEvent, LinkConflict } from './cluster-identity.js';
import type { ForkEvent, ForkStatus } from './fork-detector.js';
import type { Logger, ResolvedOptions } from './options.js';
import type { StuckStatus } from './quorum-reach.js';
import type { CoreAdapter, RaftRole } from './raft-core.js';
import type { SessionKey } from './sessions.js';
import type { Timers } from './timers.js';

export const META_NODE_ID = 'meshraft.nodeId';
export const META_CLUSTER = 'meshraft.cluster';
/** Set once the node saw itself in the configuration: a removed member does not ask to join again. */
export const META_WAS_MEMBER = 'meshraft.wasMember';
/** '1' once the node saw itself removed while running (not after depart()): it stays out. */
export const META_REMOVED = 'meshraft.removed';

export type MemberRole = 'voter' | 'learner';

export interface MemberStatus {
  readonly id: NodeId;
  readonly role: MemberRole;
  /** 'self' for this node; otherwise the transport's link state ('down' when unknown). */
  readonly link: LinkState | 'self';
  /** With link `relay`: why there is no direct WebRTC link (see describeRelayReason). */
  readonly relayReason?: RelayReason;
  /** With link `webrtc`: the ICE candidate types in use (`relay` = through TURN). */
  readonly route?: IceRoute;
  readonly rttMs: number | null;
  /** Replication progress; only known on the leader. */
  readonly match: number | null;
  /**
   * Whether the member may start elections (its setCampaign switch, e.g. off in a hidden tab), as
   * it last told this node; null if it has not. A TimeoutNow to a member with `false` is ignored.
   */
  readonly campaign?: boolean | null;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly cluster: string;
  readonly role: RaftRole;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly members: readonly MemberStatus[];
  /** A joint configuration change is in progress (both the old and new voter sets must agree). */
  readonly joint: boolean;
  readonly stopped: boolean;
  /**
   * Whether this node may start elections (see setCampaign). This and lastLeaderContactMs are
   * always set by MeshraftNode; optional so statuses built elsewhere (fixtures, older peers of
   * the worker RPC) stay valid.
   */
  readonly campaign?: boolean;
  /**
   * `timers.now()` when this node last received an append, heartbeat or snapshot chunk from the
   * leader of its current term; null if never. Lets a resumed tab see the first heartbeat.
   */
  readonly lastLeaderContactMs?: number | null;
  /**
   * This node's cluster id (cluster-identity: 32 hex digits); null while a fresh joiner has not
   * been admitted yet. Always set by MeshraftNode, like the two fields below.
   */
  readonly clusterId?: string | null;
  /** Ids of other clusters under this name whose frames were refused. */
  readonly foreignClusterIds?: readonly string[];
  /**
   * Why the node is waiting, in words, or null when it is not: `waiting: no member of cluster
   * <id> online` (no peer of its cluster is reachable; the name while the id is unknown) or
   * `waiting: asking cluster <id> to admit this node`, or `waiting: the link names cluster <id>,
   * but the room records cluster <id>; …` (see `linkConflict`).
   */
  readonly waiting?: string | null;
  /**
   * A fresh joiner given a `clusterId` that its room's record contradicts: it neither asks that
   * cluster nor takes its traffic until they agree (cluster-identity). Null otherwise.
   */
  readonly linkConflict?: LinkConflict | null;
  /**
   * Set once this node's history lost a fork under its name (`state: 'FORKED'`, its id and the
   * survivor's): the node is stopped and accepts no writes. Null otherwise (fork-detector).
   */
  readonly fork?: ForkStatus | null;
  /**
   * Why the cluster is read-only as this node sees it, or null: the reachable voters (this node
   * included) are no majority of the configuration's voters (quorum-reach). Always set by MeshraftNode.
   */
  readonly stuck?: StuckStatus | null;
}

export interface NodeEvents {
  status: (status: NodeStatus) => void;
  role: (role: RaftRole) => void;
  leader: (leader: NodeId | null) => void;
  applied: (index: number) => void;
  members: (members: readonly MemberStatus[]) => void;
  /** This node was removed from the configuration (by remove(), leave() or replacement). */
  removed: () => void;
  /**
   * A frame or join of another cluster id under this name was refused (never reaching the core).
   * `first`: the first from this peer with this id (frames repeat at heartbeat rate).
   */
  'foreign-cluster': (e: ForeignClusterEvent & { readonly first: boolean }) => void;
  /**
   * This node's history lost a fork (fork-detector): the node stopped; `entries` are its
   * committed commands, for the application to re-propose in the survivor.
   */
  fork: (e: ForkEvent) => void;
  /** A fatal error (e.g. storage failure) stopped the node. */
  error: (err: Error) => void;
}

export type ReadConsistency = 'linearizable' | 'lease' | 'local';

export interface ProposeOptions {
  readonly timeoutMs?: number;
  /**
   * Re-submit a request that timed out (NoQuorumError.request) instead of a new one: the state
   * machine applies it at most once across every retry.
   */
  readonly request?: SessionKey;
}

export interface ReadOptions {
  readonly consistency?: ReadConsistency;
  readonly timeoutMs?: number;
}

export interface OpOptions {
  readonly timeoutMs?: number;
}

export interface MeshraftNodeInit<C, R, Q, QR> {
  readonly id: NodeId;
  readonly cluster: string;
  /** The stored (or just minted) cluster id; null for a fresh joiner. */
  readonly clusterId?: string | null;
  /** For a fresh joiner: the only cluster id it may join (createNode's `clusterId`). */
  readonly expectedClusterId?: string | null;
  readonly storage: DurableStorage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<C, R, Q, QR>;
  readonly core: CoreAdapter;
  readonly timers: Timers;
  readonly random: () => number;
  readonly logger: Logger;
  readonly options: ResolvedOptions;
  /** Per-start session id suffix; default: crypto.getRandomValues (meshraft-node.ts sessionNonce). */
  readonly sessionNonce?: () => string;
}
