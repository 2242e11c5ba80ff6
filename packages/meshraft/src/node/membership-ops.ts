/**
 * @module membership-ops
 * The caller's membership operations: add a learner, promote, remove, transfer leadership and
 * leave. Each resolves once this node sees the result (the configuration applied here, or the
 * new leader), and is re-submitted by the retry sweep until then.
 */
import type { ConfState, NodeId } from '@meshraft/core';
import type { Applier } from './applier.js';
import type { Deadline, Deadlines } from './deadlines.js';
import { InvalidOptionError, NoLeaderError, NodeStoppedError, NoQuorumError } from './errors.js';
import type { NodeContext } from './node-context.js';
import type { OpOptions } from './node-types.js';
import { isDropped, isMember, toError } from './node-util.js';
import { positiveMs } from './options.js';
import type { ConfChange } from './raft-core.js';
import type { RaftView } from './raft-view.js';

interface ConfWaiter {
  readonly cc: ConfChange;
  readonly done: (cs: ConfState) => boolean;
  readonly deadline: Deadline<void>;
}

export class MembershipOps {
  private readonly waiting = new Set<ConfWaiter>();
  /**
   * Peers removed by remove() on this node (true once the removal applied here): an operator's
   * removal is final (membership-driver tells such a peer so and refuses its joins) until this
   * node adds it again, or the configuration holds it again after the removal.
   */
  readonly removedByOperator = new Map<NodeId, boolean>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly applier: Applier<unknown, unknown, unknown, unknown>,
    private readonly view: RaftView,
    private readonly deadlines: Deadlines,
  ) {}

  addLearner(id: NodeId, options: OpOptions): Promise<void> {
    this.removedByOperator.delete(id);
    return this.change({ changes: [{ type: 'addLearner', node: id }] }, (cs) => isMember(cs, id), options);
  }

  promote(id: NodeId, options: OpOptions): Promise<void> {
    this.removedByOperator.delete(id);
    return this.change({ changes: [{ type: 'addVoter', node: id }] }, (cs) => cs.voters.includes(id), options);
  }

  remove(id: NodeId, options: OpOptions): Promise<void> {
    // leave() removes this node itself: that is kept by the node (membership-driver), not here.
    if (id !== this.ctx.id && !this.ctx.stopped) this.removedByOperator.set(id, this.removedByOperator.get(id) ?? false);
    return this.change({ changes: [{ type: 'remove', node: id }] }, (cs) => !isMember(cs, id), options);
  }

  /** Hands the change to the core (a drop is retried by the sweep). */
  submit(cc: ConfChange): void {
    try {
      this.ctx.core.proposeConfChange(cc);
    } catch (err) {
      if (!isDropped(err)) this.ctx.log.warn('conf change rejected', { err, cc });
    }
    this.ctx.kick();
  }

  /** The configuration changed: resolve the operations it completes. */
  onConfChanged(cs: ConfState): void {
    for (const w of [...this.waiting]) if (w.done(cs)) w.deadline.resolve();
    for (const [id, applied] of this.removedByOperator) {
      if (!isMember(cs, id)) this.removedByOperator.set(id, true);
      else if (applied) this.removedByOperator.delete(id); // added back (by whoever): no longer final
    }
  }

  retry(): void {
    for (const c of this.waiting) this.submit(c.cc);
  }

  transferLeadership(id: NodeId, options: OpOptions): Promise<void> {
    const { ctx, view } = this;
    if (ctx.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? ctx.opts.timeoutMs);
      if (!this.applier.confState.voters.includes(id)) throw new InvalidOptionError('id', `${id} is not a voter`);
    } catch (err) {
      return Promise.reject(err);
    }
    if (view.leader === id) return Promise.resolve();
    if (view.leader === null) return Promise.reject(new NoLeaderError('transferLeadership'));
    const cleanups: (() => void)[] = [];
    const spec = { timeoutMs, onTimeout: () => new NoQuorumError(timeoutMs), cleanup: () => cleanups.forEach((c) => c()) };
    return this.deadlines.wait<void>(spec, (d) => {
      const retry = ctx.timers.setInterval(() => {
        try {
          ctx.core.transferLeadership(id);
          ctx.kick();
        } catch (err) {
          ctx.log.warn('transferLeadership failed', { err });
        }
      }, ctx.electionMs());
      const off = ctx.events.on('leader', (l) => {
        if (l === id) d.resolve();
      });
      cleanups.push(off, () => ctx.timers.clearInterval(retry));
      try {
        ctx.core.transferLeadership(id);
      } catch (err) {
        d.reject(toError(err));
        return;
      }
      ctx.kick();
    });
  }

  /** Hands leadership to the most caught-up other voter (if leading), then removes this node. */
  async leave(options: OpOptions): Promise<void> {
    const { ctx, view } = this;
    const cs = this.applier.confState;
    if (!isMember(cs, ctx.id)) return;
    const others = cs.voters.filter((v) => v !== ctx.id);
    if (view.isLeader && others.length > 0) {
      const progress = view.progress();
      const best = [...others].sort((a, b) => (progress[b]?.match ?? 0) - (progress[a]?.match ?? 0))[0]!;
      try {
        await this.transferLeadership(best, options);
      } catch (err) {
        ctx.log.warn('leave: leadership transfer failed; removing self as leader', { err });
      }
    }
    await this.remove(ctx.id, options);
  }

  private change(cc: ConfChange, done: (cs: ConfState) => boolean, options: OpOptions): Promise<void> {
    const { ctx } = this;
    if (ctx.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? ctx.opts.timeoutMs);
      for (const c of cc.changes) {
        if (typeof c.node !== 'string' || c.node === '') throw new InvalidOptionError('id', 'must be a non-empty string');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const cs = this.applier.confState;
    if (done(cs)) return Promise.resolve();
    const removed = new Set(cc.changes.filter((c) => c.type !== 'addVoter').map((c) => c.node));
    if (cs.voters.length > 0 && cs.voters.every((v) => removed.has(v))) {
      // The core would ignore it (a configuration needs a voter); say so instead of timing out.
      return Promise.reject(new InvalidOptionError('id', 'the last voter cannot be removed or demoted'));
    }
    let w: ConfWaiter | undefined;
    const spec = { timeoutMs, onTimeout: () => new NoQuorumError(timeoutMs), cleanup: () => w && this.waiting.delete(w) };
    return this.deadlines.wait<void>(spec, (deadline) => {
      w = { cc, done, deadline };
      this.waiting.add(w);
      this.submit(cc);
    });
  }
}
