/**
 * @module raft-view
 * The one place the runtime learns the core's state. Role, leader and term are taken from each
 * Ready (its softState and hardState) as the host loop handles it, as etcd's node does, so every
 * part sees the same values between Readies; commit and replication progress are read from the
 * core's status on demand. Role and leader changes are announced from here.
 */
import type { HardState, NodeId } from '@meshraft/core';
import type { NodeContext } from './node-context.js';
import type { ProgressStatus, RaftRole, Ready } from './raft-core.js';

export interface RaftViewHooks {
  /** This node just became leader. */
  readonly onBecameLeader: () => void;
  /** A (new) leader is known. */
  readonly onNewLeader: (leader: NodeId) => void;
}

export class RaftView {
  role: RaftRole = 'follower';
  leader: NodeId | null = null;
  term: number;
  /** `timers.now()` when this node last became leader. */
  leaderSince = 0;
  elections = 0;
  leaderChanges = 0;
  private finalCommit: number | undefined;

  constructor(
    private readonly ctx: NodeContext,
    persisted: HardState,
    private readonly hooks: RaftViewHooks,
  ) {
    this.term = persisted.term;
  }

  /** Takes the Ready's soft and hard state (first thing the host loop does with a Ready). */
  observe(rd: Ready): void {
    // Term first: the role and leader hooks and listeners read status(), which must show the
    // term they belong to (a new leader announced under its old term looked like two leaders
    // of one term to the simulator's checker).
    if (rd.hardState) this.term = rd.hardState.term;
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.lead);
  }

  /** The leader as status() reports it: none once the node stopped. */
  get reportedLeader(): NodeId | null {
    return this.ctx.stopped ? null : this.leader;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** The core's commit index; after stop, the last one it reported. */
  commit(): number {
    return this.finalCommit ?? this.ctx.core.basicStatus().commit;
  }

  /** Per-peer replication progress; empty unless this node leads. */
  progress(): Readonly<Record<NodeId, ProgressStatus>> {
    if (this.ctx.stopped || this.role !== 'leader') return {};
    return this.ctx.core.status().progress ?? {};
  }

  /** The core is no longer driven: keep its last commit index for status(). */
  freeze(): void {
    this.finalCommit ??= this.ctx.core.basicStatus().commit;
  }

  private onSoftState(role: RaftRole, lead: NodeId | null): void {
    const { events, timers } = this.ctx;
    if (role !== this.role) {
      if (role === 'candidate') this.elections++;
      this.role = role;
      if (role === 'leader') {
        this.leaderSince = timers.now();
        this.hooks.onBecameLeader();
      }
      events.emit('role', role);
    }
    if (lead !== this.leader) {
      if (lead !== null) this.leaderChanges++;
      this.leader = lead;
      events.emit('leader', lead);
      if (lead !== null) this.hooks.onNewLeader(lead);
    }
  }
}
