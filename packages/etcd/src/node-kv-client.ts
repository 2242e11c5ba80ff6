/**
 * @module node-kv-client
 * The etcd gateway's KvClient (and MetricsSource) over a running node with the KV state machine:
 * writes are proposed through Raft and answered once applied here, linearizable reads use
 * ReadIndex. Runtime errors pass through; the gateway maps their codes (NO_QUORUM, ...).
 */
import type { KvClient, KvClientStatus, KvMember } from './kv-client.js';
import type { MetricsSource, NodeMetrics } from './metrics.js';
import type { KvCommand, KvQuery, KvQueryResult, KvResult, KvResultOf, KvStateMachine } from 'meshraft/kv';
import type { MeshraftNode } from 'meshraft';
import { peerUrl } from './peer-url.js';

export type KvNode = MeshraftNode<KvCommand, KvResult, KvQuery, KvQueryResult>;

export interface NodeKvClientOptions {
  /** The node's state machine, for the database size in status (default: size not reported). */
  readonly stateMachine?: KvStateMachine;
  /**
   * etcd cluster id in response headers (default: the node's cluster id, status().clusterId, so
   * two histories under one name never show the same cluster_id; the name only while a fresh
   * joiner has none).
   */
  readonly clusterId?: string;
}

export function createNodeKvClient(node: KvNode, options: NodeKvClientOptions = {}): KvClient & MetricsSource {
  const clusterId = (): string => options.clusterId ?? node.clusterId ?? node.cluster;
  return {
    propose<C extends KvCommand>(command: C): Promise<KvResultOf<C>> {
      return node.propose(command) as Promise<KvResultOf<C>>;
    },
    read(query, { linearizable }) {
      return node.read(query, { consistency: linearizable ? 'linearizable' : 'local' });
    },
    async status(): Promise<KvClientStatus> {
      const s = node.status();
      return {
        leader: s.leader,
        raftTerm: s.term,
        raftIndex: s.commit,
        raftAppliedIndex: s.applied,
        dbSize: options.stateMachine?.snapshotSize() ?? 0,
        isLearner: s.members.some((m) => m.id === s.id && m.role === 'learner'),
        errors: s.stopped ? ['node stopped'] : s.leader === null ? ['no leader'] : [],
        ...(options.stateMachine && { compactRevision: options.stateMachine.compactRevision }),
      };
    },
    async members(): Promise<readonly KvMember[]> {
      // The replicated attributes, for current members only: a member that has not published
      // lists as etcd lists an unstarted one (no name, no client URLs). Without the state
      // machine, the node id stands in for the name.
      const table = options.stateMachine?.members;
      return node.status().members.map((m) => {
        const attrs = table?.get(m.id);
        return {
          id: m.id,
          name: table ? (attrs?.name ?? '') : m.id,
          peerUrls: attrs?.peerUrls ?? [peerUrl(m.id)],
          clientUrls: attrs?.clientUrls ?? [],
          isLearner: m.role === 'learner',
        };
      });
    },
    addMember: (id, learner) => (learner ? node.addLearner(id) : node.addLearner(id).then(() => node.promote(id))),
    removeMember: (id) => node.remove(id),
    promoteMember: (id) => node.promote(id),
    moveLeader: (id) => node.transferLeadership(id),
    ...(options.stateMachine && { snapshot: async () => options.stateMachine!.snapshot(), auth: options.stateMachine.auth }),
    identity: () => ({ clusterId: clusterId(), memberId: node.id, raftTerm: node.term }),
    metrics: (): NodeMetrics => node.metrics(),
  };
}
