/**
 * @module metrics
 * The node's monitoring numbers, as `MeshraftNode.metrics()` returns them. Exporters (the etcd
 * layer's `/metrics`) format them; the runtime only counts.
 */
import type { NodeId } from '@meshraft/core';

/** The Raft role as monitoring shows it. */
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
  /** Time to persist a Ready's entries and hard state. */
  readonly storageWriteLatency?: LatencyHistogram;
}
