/**
 * @module metrics
 * The numbers a node reports for monitoring (MeshraftNode.metrics()). The shapes live on the node
 * side; the etcd gateway's `/metrics` endpoint only formats them.
 */
import type { NodeId } from '@meshraft/core';
import type { RaftRole } from './raft-core.js';

/** The role as monitoring spells it (etcd's dashes), not the core's 'preCandidate'. */
export type MetricsRole = 'leader' | 'follower' | 'candidate' | 'pre-candidate';

/** A cumulative histogram: `buckets[i].count` observations were <= `buckets[i].le` seconds. */
export interface LatencyHistogram {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sumSeconds: number;
}

export interface NodeMetrics {
  readonly role: MetricsRole;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly proposalsCommitted: number;
  readonly proposalsApplied: number;
  readonly proposalsPending: number;
  readonly proposalsFailed: number;
  /** Elections this node started. */
  readonly electionsStarted: number;
  readonly leaderChanges: number;
  /** One entry per peer link, with a transport-defined state such as `open` or `relay`. */
  readonly links: readonly { readonly peer: NodeId; readonly state: string }[];
  /** Frames and joins refused for carrying another cluster id under this name (cluster-identity). */
  readonly foreignClusterFrames?: number;
  /** Voters this node cannot reach (status().stuck's ids, also while a majority remains). */
  readonly unreachableVoters?: readonly NodeId[];
  /** The reachable voters are no majority: status().stuck is set. */
  readonly quorumLost?: boolean;
  /** Time to persist a Ready's entries and hard state. */
  readonly storageWriteLatency?: LatencyHistogram;
}

export interface MetricsSource {
  metrics(): NodeMetrics;
}

export function metricsRole(role: RaftRole): MetricsRole {
  return role === 'preCandidate' ? 'pre-candidate' : role;
}
