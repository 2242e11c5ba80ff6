/**
 * @module proposals
 * Callers waiting for their commands: session keys (client id + seq, with the acked floor that
 * lets replicas forget answered results), submission to the core, retries after drops and leader
 * changes, and settling each caller from the applier's outcome.
 */
import { writeTrace, writeTracing } from '@meshraft/transport';
import { encodeCommandEntry } from './entry-codec.js';
import { InvalidOptionError, NodeStoppedError, NoQuorumError, ProposalTooLargeError } from './errors.js';
import type { ApplyOutcome } from './applier.js';
import type { Deadline, Deadlines } from './deadlines.js';
import type { NodeContext } from './node-context.js';
import type { ProposeOptions } from './node-types.js';
import { isDropped, isSessionKey, sessionKeyString, toError } from './node-util.js';
import { positiveMs } from './options.js';
import type { SessionKey } from './sessions.js';

interface ProposalWaiter<R> {
  readonly key: SessionKey;
  readonly data: Uint8Array;
  /** When it was last handed to the core (retries wait an election timeout). */
  submittedAt: number;
  readonly deadline: Deadline<R>;
}

const MAX_UNRESOLVED = 1024;

export class Proposals<C, R> {
  /** Proposals that failed (timed out, rejected, or pending at stop). */
  failed = 0;
  private readonly waiting = new Map<string, ProposalWaiter<R>>();
  private seq = 0;
  /** Own requests that timed out without a known outcome; they hold the acked floor down. */
  private readonly unresolved = new Set<number>();
  /** Own seqs in flight or unresolved; `lowOutstanding` only moves up past seqs not in it. */
  private readonly outstanding = new Set<number>();
  private lowOutstanding = 1;

  constructor(
    private readonly ctx: NodeContext,
    /** This runtime's session id: fresh per start, so sequence numbers never need persisting. */
    private readonly clientId: string,
    private readonly encode: (command: C) => Uint8Array,
    private readonly deadlines: Deadlines,
  ) {}

  get pending(): number {
    return this.waiting.size;
  }

  propose(command: C, options: ProposeOptions): Promise<R> {
    const { ctx } = this;
    if (ctx.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? ctx.opts.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    if (options.request !== undefined && !isSessionKey(options.request)) {
      return Promise.reject(new InvalidOptionError('request', 'must be { client, seq } from a NoQuorumError'));
    }
    const key = options.request ?? { client: this.clientId, seq: ++this.seq };
    const ks = sessionKeyString(key);
    if (this.waiting.has(ks)) return Promise.reject(new InvalidOptionError('request', 'already in flight'));
    const own = key.client === this.clientId;
    let data: Uint8Array;
    try {
      const acked = own ? this.ackedFloor(key.seq) : 0;
      data = encodeCommandEntry({ client: key.client, seq: key.seq, acked, command: this.encode(command) });
    } catch (err) {
      return Promise.reject(err);
    }
    if (data.byteLength > ctx.opts.maxProposalBytes) {
      return Promise.reject(new ProposalTooLargeError(data.byteLength, ctx.opts.maxProposalBytes));
    }
    const spec = {
      timeoutMs,
      cleanup: () => this.waiting.delete(ks),
      onTimeout: () => {
        this.failed++;
        if (own) this.markUnresolved(key.seq);
        return new NoQuorumError(timeoutMs, key);
      },
    };
    return this.deadlines.wait<R>(spec, (deadline) => {
      const w: ProposalWaiter<R> = { key, data, deadline, submittedAt: 0 };
      this.waiting.set(ks, w);
      if (own) {
        this.unresolved.delete(key.seq);
        this.outstanding.add(key.seq);
      }
      this.submit(w);
    });
  }

  /** The applier answered a command entry: release its seq and settle its caller, if here. */
  onApplied(o: Extract<ApplyOutcome<R>, { kind: 'command' }>): void {
    if (o.key.client === this.clientId) this.answered(o.key.seq);
    const w = this.waiting.get(sessionKeyString(o.key));
    if (w) this.settle(w, o.result, o.error);
  }

  /** Re-submits what has waited since `due` (or everything); duplicates are filtered by sessions. */
  retry(due: number, everything: boolean): void {
    for (const w of this.waiting.values()) if (everything || w.submittedAt <= due) this.submit(w);
  }

  /** Stop: every pending proposal counts as failed (the deadlines reject them). */
  onStop(): void {
    this.failed += this.waiting.size;
  }

  private submit(w: ProposalWaiter<R>): void {
    w.submittedAt = this.ctx.timers.now();
    if (writeTracing) writeTrace('propose');
    try {
      this.ctx.core.propose(w.data);
    } catch (err) {
      if (!isDropped(err)) {
        this.settle(w, undefined, toError(err));
        return;
      }
      // Dropped (no leader yet, transfer in progress): the retry timer submits it again.
    }
    this.ctx.kick();
  }

  private settle(w: ProposalWaiter<R>, result: R | undefined, err?: Error): void {
    if (this.waiting.get(sessionKeyString(w.key)) !== w) return;
    if (w.key.client === this.clientId) this.answered(w.key.seq);
    if (err) {
      this.failed++;
      w.deadline.reject(err);
    } else {
      w.deadline.resolve(result as R);
    }
  }

  private markUnresolved(seq: number): void {
    this.unresolved.add(seq);
    // Bounded: the oldest forgotten one can no longer be retried (its retry is answered STALE_REQUEST).
    if (this.unresolved.size > MAX_UNRESOLVED) {
      const oldest = Math.min(...this.unresolved);
      this.unresolved.delete(oldest);
      this.outstanding.delete(oldest);
    }
  }

  /** Every own seq below the lowest one still unanswered (in flight or timed out) is acknowledged. */
  private ackedFloor(current: number): number {
    while (this.lowOutstanding < current && !this.outstanding.has(this.lowOutstanding)) this.lowOutstanding++;
    return Math.min(this.lowOutstanding, current) - 1;
  }

  /** An own request got its answer (applied, duplicate or stale): it no longer holds the floor. */
  private answered(seq: number): void {
    this.unresolved.delete(seq);
    this.outstanding.delete(seq);
  }
}
