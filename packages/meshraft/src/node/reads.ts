/**
 * @module reads
 * Queries at three consistencies: 'linearizable' asks the core for a read index and answers once
 * applied reaches it; 'lease' answers from a leader holding a lease (else as linearizable);
 * 'local' answers from this replica at once.
 */
import type { NodeId } from '@meshraft/core';
import type { Applier } from './applier.js';
import type { Deadline, Deadlines } from './deadlines.js';
import { InvalidOptionError, NodeStoppedError, NoQuorumError } from './errors.js';
import type { NodeContext } from './node-context.js';
import type { ReadOptions } from './node-types.js';
import { bytesKey, isDropped } from './node-util.js';
import { positiveMs } from './options.js';
import type { PeerContact } from './peer-contact.js';
import type { ReadState } from './raft-core.js';
import type { RaftView } from './raft-view.js';

interface ReadWaiter {
  /** The read index request's context; null for a wait on a known index. */
  readonly ctx: Uint8Array | null;
  /** Set once the core answered with a read index. */
  index: number | null;
  readonly serve: () => void;
}

const textEncoder = new TextEncoder();
const CONSISTENCIES = ['linearizable', 'lease', 'local'];

export class Reads<Q, QR> {
  private readonly waiting = new Map<string, ReadWaiter>();
  private readSeq = 0;

  constructor(
    private readonly ctx: NodeContext,
    private readonly clientId: string,
    private readonly applier: Applier<unknown, unknown, Q, QR>,
    private readonly view: RaftView,
    private readonly contact: PeerContact,
    private readonly deadlines: Deadlines,
  ) {}

  read(query: Q, options: ReadOptions): Promise<QR> {
    const { ctx, applier } = this;
    if (ctx.stopped) return Promise.reject(new NodeStoppedError());
    const consistency = options.consistency ?? 'linearizable';
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? ctx.opts.timeoutMs);
      if (!CONSISTENCIES.includes(consistency)) {
        throw new InvalidOptionError('consistency', `unknown consistency ${String(consistency)}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (consistency === 'local') return applier.query(query);
    if (consistency === 'lease' && this.holdsLease()) {
      return this.waitApplied(this.view.commit(), timeoutMs).then(() => applier.query(query));
    }
    const rctx = textEncoder.encode(`${this.clientId}:r${++this.readSeq}`);
    return this.wait<QR>(bytesKey(rctx), rctx, null, timeoutMs, (d) => d.resolve(applier.query(query)));
  }

  /** The core's answers to read index requests. */
  onReadStates(states: readonly ReadState[]): void {
    for (const rs of states) {
      const w = this.waiting.get(bytesKey(rs.context));
      if (w) w.index = rs.index;
    }
  }

  /** Answers every read whose index is applied. */
  serve(): void {
    const applied = this.applier.applied;
    for (const r of [...this.waiting.values()]) if (r.index !== null && applied >= r.index) r.serve();
  }

  /** Asks again for the read indexes not yet answered (after a drop or a leader change). */
  retry(): void {
    for (const r of this.waiting.values()) if (r.index === null && r.ctx) this.requestReadIndex(r.ctx);
  }

  private wait<T>(key: string, rctx: Uint8Array | null, index: number | null, timeoutMs: number, serve: (d: Deadline<T>) => void): Promise<T> {
    const spec = { timeoutMs, cleanup: () => this.waiting.delete(key), onTimeout: () => new NoQuorumError(timeoutMs) };
    return this.deadlines.wait<T>(spec, (d) => {
      this.waiting.set(key, { ctx: rctx, index, serve: () => serve(d) });
      if (rctx) this.requestReadIndex(rctx);
    });
  }

  private waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.applier.applied >= index) return Promise.resolve();
    return this.wait<void>(`applied:${++this.readSeq}`, null, index, timeoutMs, (d) => d.resolve());
  }

  private requestReadIndex(rctx: Uint8Array): void {
    try {
      this.ctx.core.readIndex(rctx);
    } catch (err) {
      if (!isDropped(err)) this.ctx.log.warn('readIndex failed', { err });
    }
    this.ctx.kick();
  }

  /**
   * A leader holds a lease while a quorum answered, in its term, something it sent within half an
   * election timeout: with CheckQuorum, a follower that heard from its leader refuses to elect
   * another one for a full election timeout. Each answer echoes the send stamp of the newest
   * broadcast it answers (peer-contact), so an answer that sat in a buffer while this process was
   * paused proves only the old contact it echoes. The half leaves room for clock drift. Until an
   * entry of its own term is applied, the leader's commit index may be stale, so it holds no lease;
   * and after it sent a TimeoutNow, the target may lead a new term at once, so none for the term.
   */
  private holdsLease(): boolean {
    const { view, ctx } = this;
    if (!view.isLeader || this.applier.appliedTerm !== view.term) return false;
    if (this.contact.transferTerm === view.term) return false;
    const now = ctx.timers.now();
    const since = now - ctx.electionMs() / 2;
    const fresh = (ids: readonly NodeId[]): boolean => {
      const acked = ids.filter((id) => {
        if (id === ctx.id) return true;
        const a = this.contact.lastAck.get(id);
        return a !== undefined && a.term === view.term && a.at >= since && a.at <= now;
      });
      return acked.length * 2 > ids.length;
    };
    const cs = this.applier.confState;
    return cs.voters.length > 0 && fresh(cs.voters) && (cs.votersOutgoing.length === 0 || fresh(cs.votersOutgoing));
  }
}
