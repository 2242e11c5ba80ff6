/**
 * @module local-kv-client
 * A KvClient over a state machine in this process, with no Raft: every command is "committed" at
 * once. It is the gateway's test double and a single-node mode; `setLeader(null)` simulates an
 * election in progress.
 */
import type { NodeId } from '@meshraft/core';
import { createKvStateMachine, createLeaseKeeper, type KvCommand, type KvResultOf, type KvStateMachine, type LeaseKeeper } from 'meshraft/kv';
import { NoLeaderError, type KvClient, type KvClientStatus, type KvMember } from './kv-client.js';

export interface LocalKvClientOptions {
  readonly stateMachine?: KvStateMachine;
  readonly clusterId?: string;
  readonly memberId?: NodeId;
  readonly term?: number;
  /** Shortest lease TTL in seconds (default 1). */
  readonly minLeaseTtl?: number;
}

export interface LocalKvClient extends KvClient {
  readonly stateMachine: KvStateMachine;
  /** Which member leads; null makes every request fail with NoLeaderError. */
  setLeader(leader: NodeId | null): void;
  /** The member's lease expiry clock (it leads whenever `setLeader` names this member). */
  readonly leaseKeeper: LeaseKeeper;
}

export function createLocalKvClient(options: LocalKvClientOptions = {}): LocalKvClient {
  const sm = options.stateMachine ?? createKvStateMachine();
  const clusterId = options.clusterId ?? 'local';
  const memberId = options.memberId ?? 'local-1';
  const term = options.term ?? 1;
  let leader: NodeId | null = memberId;
  let index = 0;
  const apply = <C extends KvCommand>(command: C) =>
    // Through the codec, as a replicated entry would travel.
    sm.apply(sm.decodeCommand(sm.encodeCommand(command)), { index: ++index, term }) as KvResultOf<C>;
  const leaseKeeper = createLeaseKeeper({
    leases: sm.leases,
    propose: async (command) => (leader === memberId ? apply(command) : undefined),
    electionTimeoutMs: 1000,
  });
  leaseKeeper.setLeader(true);

  function requireLeader(): void {
    if (leader === null) throw new NoLeaderError();
  }

  return {
    stateMachine: sm,
    leaseKeeper,
    setLeader(next) {
      leader = next;
      leaseKeeper.setLeader(next === memberId);
    },
    async propose<C extends KvCommand>(command: C): Promise<KvResultOf<C>> {
      requireLeader();
      return apply(command);
    },
    leases: { view: sm.leases, remainingMs: (id) => leaseKeeper.remainingMs(id), minTtl: options.minLeaseTtl ?? 1 },
    async read(query, { linearizable }) {
      if (linearizable) requireLeader();
      return sm.query(query);
    },
    async status(): Promise<KvClientStatus> {
      return {
        leader,
        raftTerm: term,
        raftIndex: index,
        raftAppliedIndex: index,
        dbSize: sm.snapshotSize(),
        isLearner: false,
        errors: [],
        compactRevision: sm.compactRevision,
      };
    },
    async members(): Promise<readonly KvMember[]> {
      // What MemberUpdate (or a caller's memberAttrs) recorded; the member id names it otherwise.
      const a = sm.members.get(memberId);
      return [{ id: memberId, name: a?.name ?? memberId, peerUrls: a?.peerUrls ?? [], clientUrls: a?.clientUrls ?? [], isLearner: false }];
    },
    identity: () => ({ clusterId, memberId, raftTerm: term }),
    watch: (watchOptions, listener) => sm.watch(watchOptions, listener),
    replay: (watchOptions, startRevision) => sm.replay(watchOptions, startRevision),
    snapshot: async () => sm.snapshot(),
    auth: sm.auth,
  };
}
