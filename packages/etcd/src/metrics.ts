/**
 * @module metrics
 * The node's numbers for `GET /metrics`, in Prometheus text format (version 0.0.4). The runtime's
 * `MeshraftNode.metrics()` provides them; names follow etcd's (`etcd_server_*`, `etcd_disk_*`) under `meshraft_`.
 */
import type { MetricsRole, NodeMetrics } from 'meshraft';

export type { LatencyHistogram, MetricsRole, MetricsSource, NodeMetrics } from 'meshraft';

const ROLES: readonly MetricsRole[] = ['leader', 'follower', 'candidate', 'pre-candidate'];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return Number.isNaN(n) ? 'NaN' : String(n);
}

/** Builds one exposition: each family's HELP and TYPE once, then its samples. */
export class PrometheusText {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, l: Record<string, string> = {}): this {
    this.lines.push(`${name}${labels(l)} ${num(value)}`);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function writeNodeMetrics(out: PrometheusText, m: NodeMetrics): void {
  const gauge = (name: string, help: string, v: number) => out.family(name, 'gauge', help).sample(name, v);
  const counter = (name: string, help: string, v: number) => out.family(name, 'counter', help).sample(name, v);
  gauge('meshraft_server_has_leader', 'Whether a leader is known (1) or not (0).', m.leader === null ? 0 : 1);
  gauge('meshraft_server_is_leader', 'Whether this member is the leader.', m.role === 'leader' ? 1 : 0);
  out.family('meshraft_server_role', 'gauge', 'The Raft role of this member (1 for the current role).');
  for (const role of ROLES) out.sample('meshraft_server_role', m.role === role ? 1 : 0, { role });
  gauge('meshraft_raft_term', 'The current Raft term.', m.term);
  gauge('meshraft_raft_commit_index', 'The highest log index known committed.', m.commitIndex);
  gauge('meshraft_raft_applied_index', 'The highest log index applied to the state machine.', m.appliedIndex);
  counter('meshraft_server_proposals_committed_total', 'Proposals committed.', m.proposalsCommitted);
  counter('meshraft_server_proposals_applied_total', 'Proposals applied.', m.proposalsApplied);
  gauge('meshraft_server_proposals_pending', 'Proposals waiting to commit.', m.proposalsPending);
  counter('meshraft_server_proposals_failed_total', 'Proposals that failed.', m.proposalsFailed);
  counter('meshraft_server_elections_total', 'Elections this member started.', m.electionsStarted);
  counter('meshraft_server_leader_changes_seen_total', 'Leader changes seen.', m.leaderChanges);
  if (m.foreignClusterFrames !== undefined) {
    counter('meshraft_foreign_cluster_frames_total', 'Frames and joins refused: another cluster id under this cluster name.', m.foreignClusterFrames);
  }
  if (m.unreachableVoters !== undefined) {
    gauge('meshraft_quorum_lost', 'Whether the reachable voters are no majority (1: read-only) or are (0).', m.quorumLost ? 1 : 0);
    out.family('meshraft_unreachable_voters', 'gauge', 'Voters this member cannot reach (1 per voter; none while all are reachable).');
    for (const peer of m.unreachableVoters) out.sample('meshraft_unreachable_voters', 1, { peer });
  }
  out.family('meshraft_link_up', 'gauge', 'Peer links by state (1 per peer, labelled with its state).');
  for (const link of m.links) out.sample('meshraft_link_up', 1, { peer: link.peer, state: link.state });
  const h = m.storageWriteLatency;
  if (h) {
    const name = 'meshraft_storage_write_duration_seconds';
    out.family(name, 'histogram', 'Time to persist entries and hard state.');
    for (const b of h.buckets) out.sample(`${name}_bucket`, b.count, { le: num(b.le) });
    if (!h.buckets.some((b) => b.le === Infinity)) out.sample(`${name}_bucket`, h.count, { le: '+Inf' });
    out.sample(`${name}_sum`, h.sumSeconds).sample(`${name}_count`, h.count);
  }
}
