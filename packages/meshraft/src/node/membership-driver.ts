/**
 * @module membership-driver
 * Membership without an operator: the leader runs the membership policy (promote caught-up
 * learners, replace dead voters; see membership-policy) one change at a time, and the join
 * protocol lets a node outside the configuration ask to be added (a follower forwards the ask
 * to its leader, which adds it as a learner).
 *
 * Churn: a member that is going away (a tab's pagehide) says so with a `depart` frame, and the
 * leader's policy takes it out at once instead of after the grace period. A leader answers Raft
 * traffic from a peer outside its configuration with an `outside` notice: a voter replaced while
 * it was offline learns it is out and asks to join again (as a learner; the policy promotes it).
 * Only a node removed while it was running and listening (remove(), leave(), a replacement it
 * applied itself) stays out, across restarts (meta `meshraft.removed`).
 */
import type { NodeId } from '@meshraft/core';
import type { Applier } from './applier.js';
import type { MembershipOps } from './membership-ops.js';
import { durableLeaderFor, nextMembershipChange, type MembershipView } from './membership-policy.js';
import type { NodeContext } from './node-context.js';
import { META_REMOVED } from './node-types.js';
import { isMember } from './node-util.js';
import type { PeerContact } from './peer-contact.js';
import type { RaftView } from './raft-view.js';

export class MembershipDriver {
  /** Set once the node saw itself in the configuration (persisted by the host loop). */
  wasMember = false;
  /** Conf change the policy proposed and when; one at a time. */
  private policyPending: { key: string; at: number } | null = null;
  private readonly joinRequested = new Map<NodeId, number>();
  private lastJoinSent = -Infinity;
  /** Peers that said they are going away, and when (timer ms). */
  private readonly departed = new Map<NodeId, number>();
  /** When each outsider was last sent an `outside` notice. */
  private readonly noticeSent = new Map<NodeId, number>();
  /** This node said it is going away (depart()): its removal is then no reason to stay out. */
  private departing = false;
  /** leave() runs: its own removal is wanted. */
  private isLeaving = false;
  /** Removed while running (persisted): never asks to join again. */
  private removed: boolean;
  /**
   * Set by an `outside` notice: the leader's configuration, applied up to this index, leaves
   * this node out although its own log still lists it. Cleared once it applied past it as a member.
   */
  private rejoinAt: number | null = null;
  /** When this (ephemeral) leader last asked a durable voter to take over. */
  private lastHandOff = -Infinity;

  constructor(
    private readonly ctx: NodeContext,
    private readonly applier: Applier<unknown, unknown, unknown, unknown>,
    private readonly view: RaftView,
    private readonly contact: PeerContact,
    private readonly ops: MembershipOps,
    /** Who said they are ephemeral, and who will not campaign (campaign presence). */
    private readonly presence: () => { readonly ephemeral: ReadonlySet<NodeId>; readonly campaignOff: ReadonlySet<NodeId> } = () => ({
      ephemeral: new Set(),
      campaignOff: new Set(),
    }),
  ) {
    this.removed = ctx.storage.getMeta(META_REMOVED) === '1';
  }

  /** Members that departed (for the policy and status): forgotten once out or heard again later. */
  departedSet(): Set<NodeId> {
    const cs = this.applier.confState;
    const grace = this.ctx.electionMs();
    for (const [id, at] of this.departed) {
      // Heard well after it said goodbye: it came back (a reload faster than its removal).
      if (!isMember(cs, id) || (this.contact.lastHeard.get(id) ?? -Infinity) > at + grace) this.departed.delete(id);
    }
    return new Set(this.departed.keys());
  }

  /** leave() is taking this node out: it must not answer a notice by joining again. */
  leaving(on: boolean): void {
    this.isLeaving = on;
  }

  /** This node is going away (pagehide): tells every linked peer, fire and forget. */
  depart(): void {
    const { ctx } = this;
    if (ctx.stopped) return;
    this.departing = true;
    // Sent twice: it is this node's last word, and nothing will retry it (a copy is ignored).
    for (let copy = 0; copy < 2; copy++) {
      for (const l of ctx.transport.links()) {
        if (l.state !== 'down' && l.peer !== ctx.id) ctx.send(l.peer, { kind: 'depart', node: ctx.id });
      }
    }
  }

  /**
   * `node` is going away: said by itself, or forwarded by a member that heard it (a lost frame
   * must not cost the grace period). A follower passes it on to its leader once.
   */
  onDepart(from: NodeId, node: NodeId): void {
    const { ctx, view } = this;
    const cs = this.applier.confState;
    if (!isMember(cs, node) || (from !== node && !isMember(cs, from))) return;
    if (this.departed.has(node)) return;
    ctx.log.info('member is leaving', { node });
    this.departed.set(node, ctx.timers.now());
    if (!view.isLeader && view.leader !== null && view.leader !== from && view.leader !== node) ctx.send(view.leader, { kind: 'depart', node });
  }

  /**
   * On the leader: Raft traffic or a campaign announcement from `from`, which its configuration
   * does not hold, gets a notice (a returning voter campaigns; a returning learner only announces).
   */
  noticeOutsider(from: NodeId): void {
    const { ctx, view } = this;
    if (isMember(this.applier.confState, from)) return;
    // An operator's removal (remove() here) is told by this node whether it leads or not.
    const final = this.ops.removedByOperator.get(from) === true;
    if (!view.isLeader && !final) return;
    const now = ctx.timers.now();
    if (now - (this.noticeSent.get(from) ?? -Infinity) < ctx.electionMs()) return;
    this.noticeSent.set(from, now);
    ctx.send(from, { kind: 'outside', at: this.applier.applied, ...(final && { final: true as const }) });
  }

  /** A leader says this node is not in its configuration (applied up to `at`). */
  onOutside(from: NodeId, at: number, final = false): void {
    const { ctx, applier } = this;
    if (this.removed) return;
    if (final) {
      // Removed by an operator while running: final, as leave() is (kept across restarts).
      ctx.log.info('removed from the configuration by an operator; staying out', { by: from, at });
      this.rejoinAt = null;
      this.persistRemoved(true);
      ctx.events.emit('removed');
      return;
    }
    if (this.departing || this.isLeaving || applier.applied >= at) return;
    if (isMember(applier.confState, ctx.id) && this.rejoinAt === null) {
      ctx.log.info('not in the leader\'s configuration (replaced while away); asking to join again as a learner', { leader: from, at });
    }
    this.rejoinAt = Math.max(this.rejoinAt ?? 0, at);
    this.maybeJoin(true);
  }

  /**
   * The configuration changed (applied here). True when this node was just removed and should
   * say so; false while it catches up past an old removal of itself on its way back in.
   */
  onConfChanged(wasIn: boolean): boolean {
    const { ctx, applier } = this;
    if (isMember(applier.confState, ctx.id)) {
      this.wasMember = true;
      if (this.rejoinAt !== null && applier.applied >= this.rejoinAt) this.rejoinAt = null;
      if (this.removed) this.persistRemoved(false);
      return false;
    }
    if (!wasIn || this.rejoinAt !== null) return false;
    if (!this.departing) this.persistRemoved(true);
    return true;
  }

  /** The policy's change applied or leadership moved: the next change may be proposed. */
  clearPending(): void {
    this.policyPending = null;
  }

  /** On the leader, every tick: propose the policy's next change if none is in flight. */
  runPolicy(): void {
    const { ctx, view } = this;
    if (!view.isLeader || !ctx.opts.membership.auto) return;
    const now = ctx.timers.now();
    // One change at a time; give up on one that never applied after a timeout.
    if (this.policyPending && now - this.policyPending.at < ctx.opts.timeoutMs) return;
    const { ephemeral, campaignOff } = this.presence();
    const v: MembershipView = {
      self: ctx.id,
      confState: this.applier.confState,
      commit: view.commit(),
      progress: view.progress(),
      lastHeard: this.contact.lastHeard,
      now,
      leaderSince: view.leaderSince,
      departed: this.departedSet(),
      ephemeral,
    };
    const o = { ...ctx.opts.membership, aliveMs: 2 * ctx.electionMs() };
    // A tab leading a cluster with a durable voter hands over first: shrinking keeps the leader.
    const durable = durableLeaderFor(v, o, campaignOff);
    // Retried every few election timeouts; in between the policy runs as usual.
    if (durable !== undefined && now - this.lastHandOff >= 3 * ctx.electionMs()) {
      this.lastHandOff = now;
      ctx.log.info('ephemeral leader hands leadership to a durable voter', { to: durable });
      try {
        ctx.core.transferLeadership(durable);
      } catch (err) {
        ctx.log.warn('transferLeadership failed', { err });
      }
      ctx.kick();
      return;
    }
    const cc = nextMembershipChange(v, o);
    if (!cc) return;
    ctx.log.info('membership change', { cc });
    this.policyPending = { key: JSON.stringify(cc), at: now };
    this.ops.submit(cc);
  }

  /** A peer asks for `node` to join: the leader adds it as a learner, a follower forwards. */
  onJoin(node: NodeId): void {
    const { ctx, view } = this;
    if (isMember(this.applier.confState, node)) return;
    if (this.ops.removedByOperator.get(node) === true) return; // an operator took it out: not back by itself
    if (view.isLeader) {
      const now = ctx.timers.now();
      const last = this.joinRequested.get(node);
      if (last !== undefined && now - last < ctx.electionMs()) return; // already proposed
      this.joinRequested.set(node, now);
      ctx.log.info('adding joining node as learner', { node });
      this.ops.submit({ changes: [{ type: 'addLearner', node }] });
    } else if (view.leader !== null && view.leader !== ctx.id) {
      ctx.send(view.leader, { kind: 'join', node });
    }
  }

  /** A node not in the configuration asks reachable peers to let it in (forwarded to the leader). */
  maybeJoin(force: boolean): void {
    const { ctx } = this;
    if (ctx.stopped || !this.wantsIn()) return;
    // A join names the cluster it asks to enter: until a fresh node has heard one, it waits.
    if (ctx.clusterIdFor('join') === null) return;
    const now = ctx.timers.now();
    if (!force && now - this.lastJoinSent < ctx.electionMs()) return;
    this.lastJoinSent = now;
    for (const l of ctx.transport.links()) {
      if (l.state !== 'down' && l.peer !== ctx.id) ctx.send(l.peer, { kind: 'join', node: ctx.id });
    }
  }

  /** Whether this node should ask to be let in: outside the configuration and not removed, or told it is out. */
  private wantsIn(): boolean {
    const { applier } = this;
    if (this.departing || this.isLeaving) return false;
    if (this.rejoinAt !== null && applier.applied < this.rejoinAt) return true;
    return !this.removed && !isMember(applier.confState, this.ctx.id);
  }

  private persistRemoved(removed: boolean): void {
    this.removed = removed;
    this.ctx.storage.setMeta(META_REMOVED, removed ? '1' : '0').catch((err: unknown) => this.ctx.log.warn('could not persist the removal', { err }));
  }
}
