/**
 * @module node-status
 * What the node reports: status() and its change events ('status', 'members'), and metrics()
 * for monitoring. Everything is read from the parts; nothing here changes state.
 */
import type { NodeId } from '@meshraft/core';
import type { Applier } from './applier.js';
import type { Campaign } from './campaign.js';
import { LatencyRecorder } from './latency-histogram.js';
import { metricsRole, type NodeMetrics } from './metrics.js';
import type { NodeContext } from './node-context.js';
import type { MemberRole, MemberStatus, NodeStatus } from './node-types.js';
import type { PeerContact } from './peer-contact.js';
import { stuckStatus, unreachableVoters, type ReachInput } from './quorum-reach.js';
import type { RaftView } from './raft-view.js';

export class NodeReporter {
  /** Time to persist each Ready (the host loop observes it). */
  readonly saveLatency = new LatencyRecorder();
  private lastStatusKey = '';
  /** Peers not heard from yet count as heard at start (quorum-reach). */
  private readonly startedAt: number;

  constructor(
    private readonly ctx: NodeContext,
    private readonly view: RaftView,
    private readonly applier: Applier<unknown, unknown, unknown, unknown>,
    private readonly campaign: Campaign,
    private readonly contact: PeerContact,
    private readonly counts: () => { readonly pending: number; readonly failed: number },
    /** Identity fields (clusterId, foreignClusterIds, waiting) and their change key. */
    private readonly identity: () => { readonly fields: Partial<NodeStatus>; readonly key: string; readonly foreignFrames: number } = () => ({
      fields: {},
      key: '',
      foreignFrames: 0,
    }),
  ) {
    this.startedAt = ctx.timers.now();
  }

  status(): NodeStatus {
    const { ctx, view } = this;
    return {
      id: ctx.id,
      cluster: ctx.cluster,
      role: view.role,
      term: view.term,
      leader: view.reportedLeader,
      commit: view.commit(),
      applied: this.applier.applied,
      members: this.members(),
      joint: this.applier.confState.votersOutgoing.length > 0,
      stopped: ctx.stopped,
      campaign: this.campaign.enabled,
      lastLeaderContactMs: this.contact.lastLeaderContact,
      ...this.identity().fields,
      stuck: ctx.stopped ? null : stuckStatus(this.reach()),
    };
  }

  /** What quorum-reach needs: links up, last heard, and a window of three election timeouts. */
  private reach(): ReachInput {
    const { ctx } = this;
    const linked = new Set(ctx.transport.links().filter((l) => l.state !== 'down' && l.state !== 'connecting').map((l) => l.peer));
    return {
      self: ctx.id,
      confState: this.applier.confState,
      linked,
      lastHeard: this.contact.lastHeard,
      now: ctx.timers.now(),
      windowMs: 3 * ctx.electionMs(),
      startedAt: this.startedAt,
    };
  }

  metrics(): NodeMetrics {
    const s = this.status();
    const { pending, failed } = this.counts();
    return {
      role: metricsRole(s.role),
      term: s.term,
      leader: s.leader,
      commitIndex: s.commit,
      appliedIndex: s.applied,
      proposalsCommitted: s.commit,
      proposalsApplied: s.applied,
      proposalsPending: pending,
      proposalsFailed: failed,
      electionsStarted: this.view.elections,
      leaderChanges: this.view.leaderChanges,
      links: this.ctx.transport.links().map((l) => ({ peer: l.peer, state: l.state })),
      foreignClusterFrames: this.identity().foreignFrames,
      unreachableVoters: this.ctx.stopped ? [] : unreachableVoters(this.reach()),
      quorumLost: s.stuck != null,
      storageWriteLatency: this.saveLatency.snapshot(),
    };
  }

  emitMembers(): void {
    if (!this.ctx.stopped) this.ctx.events.emit('members', this.members());
  }

  /** Emits 'status' if anything in it changed since the last one. */
  emitStatus(): void {
    const { ctx, view } = this;
    if (ctx.stopped || ctx.events.listenerCount('status') === 0) return;
    // Cheap change check first: the full status (members, links) is built only to be emitted.
    const key = `${view.role}|${view.term}|${view.leader}|${view.commit()}|${this.applier.applied}|${this.campaign.enabled}|${this.campaign.peerChanges}|${this.identity().key}|${this.ctx.stopped ? '' : unreachableVoters(this.reach()).join(',')}`;
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    ctx.events.emit('status', this.status());
  }

  private members(): MemberStatus[] {
    const { ctx, applier } = this;
    const links = new Map(ctx.transport.links().map((l) => [l.peer, l]));
    const progress = this.view.progress();
    const out: MemberStatus[] = [];
    const add = (id: NodeId, role: MemberRole): void => {
      if (out.some((m) => m.id === id)) return;
      const l = links.get(id);
      const self = id === ctx.id;
      out.push({
        id,
        role,
        link: self ? 'self' : (l?.state ?? 'down'),
        ...(!self && l?.relayReason !== undefined && { relayReason: l.relayReason }),
        ...(!self && l?.route !== undefined && { route: l.route }),
        rttMs: self ? 0 : (l?.rttMs ?? null),
        match: self ? applier.applied : (progress[id]?.match ?? null),
        campaign: self ? this.campaign.enabled : (this.campaign.peers.get(id) ?? null),
      });
    };
    const cs = applier.confState;
    for (const id of cs.voters) add(id, 'voter');
    for (const id of cs.votersOutgoing) add(id, 'voter');
    for (const id of cs.learners) add(id, 'learner');
    return out;
  }
}
