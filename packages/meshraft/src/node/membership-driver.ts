/**
 * @module membership-driver
 * Membership without an operator: the leader runs the membership policy (promote caught-up
 * learners, replace dead voters; see membership-policy) one change at a time, and the join
 * protocol lets a node outside the configuration ask to be added (a follower forwards the ask
 * to its leader, which adds it as a learner).
 */
import type { NodeId } from '@meshraft/core';
import type { Applier } from './applier.js';
import type { MembershipOps } from './membership-ops.js';
import { nextMembershipChange } from './membership-policy.js';
import type { NodeContext } from './node-context.js';
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

  constructor(
    private readonly ctx: NodeContext,
    private readonly applier: Applier<unknown, unknown, unknown, unknown>,
    private readonly view: RaftView,
    private readonly contact: PeerContact,
    private readonly ops: MembershipOps,
  ) {}

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
    const cc = nextMembershipChange(
      {
        self: ctx.id,
        confState: this.applier.confState,
        commit: view.commit(),
        progress: view.progress(),
        lastHeard: this.contact.lastHeard,
        now,
        leaderSince: view.leaderSince,
      },
      { ...ctx.opts.membership, aliveMs: 2 * ctx.electionMs() },
    );
    if (!cc) return;
    ctx.log.info('membership change', { cc });
    this.policyPending = { key: JSON.stringify(cc), at: now };
    this.ops.submit(cc);
  }

  /** A peer asks for `node` to join: the leader adds it as a learner, a follower forwards. */
  onJoin(node: NodeId): void {
    const { ctx, view } = this;
    if (isMember(this.applier.confState, node)) return;
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
    if (ctx.stopped || this.wasMember || isMember(this.applier.confState, ctx.id)) return;
    // A join names the cluster it asks to enter: until a fresh node has heard one, it waits.
    if (ctx.clusterIdFor('join') === null) return;
    const now = ctx.timers.now();
    if (!force && now - this.lastJoinSent < ctx.electionMs()) return;
    this.lastJoinSent = now;
    for (const l of ctx.transport.links()) {
      if (l.state !== 'down' && l.peer !== ctx.id) ctx.send(l.peer, { kind: 'join', node: ctx.id });
    }
  }
}
