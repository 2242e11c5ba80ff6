/**
 * @module node
 * The meshraft node runtime: createNode joins a Raft core, a storage backend and a transport into
 * a running node with timers.
 */
export { createNode } from './create-node.js';
export {
  MeshraftNode,
  type MemberRole,
  type MemberStatus,
  type NodeEvents,
  type NodeStatus,
  type OpOptions,
  type ProposeOptions,
  type ReadConsistency,
  type ReadOptions,
} from './meshraft-node.js';
export {
  DEFAULT_TIMING,
  type CreateNodeOptions,
  type Logger,
  type MembershipOptions,
  type NodeTiming,
} from './options.js';
export * from './errors.js';
export { isClusterId, type ForeignClusterEvent, type LinkConflict } from './cluster-identity.js';
export { survivorOf, type ForkEntry, type ForkEvent, type ForkStatus } from './fork-detector.js';
export type { StuckStatus } from './quorum-reach.js';
export type { ConfChange, ConfChangeType, CoreAdapter, RaftCore, RaftRole } from './raft-core.js';
export type { SessionKey } from './sessions.js';
export { systemTimers, type TimerHandle, type Timers } from './timers.js';
export type { LatencyHistogram, MetricsRole, MetricsSource, NodeMetrics } from './metrics.js';
