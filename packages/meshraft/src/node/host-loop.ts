/**
 * @module host-loop
 * Drives the core: takes its Readies one at a time and handles each in order: persist
 * (snapshot, entries, hard state) → send its messages → install a received snapshot → apply
 * committed entries → serve read states → advance. The core keeps taking ticks, messages and
 * proposals while a save is in flight; only the next Ready waits. Also: compaction, and the
 * fatal error that stops the node.
 */
import { canSendBeforePersist, EntryType, type HardState, type NodeId, type Snapshot } from '@meshraft/core';
import type { Applier, ApplyOutcome } from './applier.js';
import { CommitNotices } from './commit-notices.js';
import type { NodeContext } from './node-context.js';
import { META_WAS_MEMBER } from './node-types.js';
import { isMember, toError } from './node-util.js';
import type { PeerContact } from './peer-contact.js';
import type { Message, ReadState, Ready } from './raft-core.js';
import type { RaftView } from './raft-view.js';
import type { LatencyRecorder } from './latency-histogram.js';
import { writeTrace, writeTracing } from '@meshraft/transport';

/** Where the loop hands each kind of result. */
export interface ReadyHandlers<R> {
  /** A command entry was answered. */
  readonly onCommand: (o: Extract<ApplyOutcome<R>, { kind: 'command' }>) => void;
  readonly onReadStates: (states: readonly ReadState[]) => void;
  /** Applied moved: answer the reads it covers. */
  readonly serveReads: () => void;
  /** The configuration changed (after advance); `wasIn`: this node was a member before. */
  readonly onConfChanged: (wasIn: boolean) => void;
  readonly emitStatus: () => void;
  /** A storage failure: the node must stop. */
  readonly onFatal: (err: Error) => void;
}

export class HostLoop<R> {
  failed = false;
  private pumping: Promise<void> | undefined;
  private snapshotIndex = 0;
  /** Bytes of entries applied since the last snapshot, and that snapshot's size (snapshotLogRatio). */
  private appliedBytes = 0;
  private snapshotBytes = 0;
  /** The last hard state written to storage, and a newer commit-only one not yet written. */
  private persistedHard: HardState;
  private deferredHard: HardState | undefined;
  private readonly notices: CommitNotices;

  constructor(
    private readonly ctx: NodeContext,
    private readonly view: RaftView,
    private readonly applier: Applier<unknown, R, unknown, unknown>,
    private readonly contact: PeerContact,
    /** Whether this node was ever a member (persisted once, see persistWasMember). */
    private readonly member: { wasMember: boolean },
    private readonly saveLatency: LatencyRecorder,
    private readonly on: ReadyHandlers<R>,
  ) {
    this.persistedHard = ctx.storage.initialState().hardState;
    this.notices = new CommitNotices(ctx.timers, ctx.opts.commitNoticeDelayMs, (m) => this.transmit(m));
  }

  /** Runs Readies until the core has none; at most one loop at a time. */
  kick(): void {
    if (this.pumping || this.ctx.stopped) return;
    this.pumping = this.pump()
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.pumping = undefined;
        // Work that arrived after the loop's last hasReady() check would otherwise wait for the next tick.
        if (!this.ctx.stopped && this.ctx.core.hasReady()) this.kick();
      });
  }

  /** A Raft message from a peer, with its frame's lease stamp. */
  step(from: NodeId, m: Message, stamp?: number): void {
    if (writeTracing) writeTrace('step', m.type, 'index' in m ? m.index : '');
    this.contact.raftMessage(from, m, stamp);
    try {
      this.ctx.core.step(m);
      if (m.type === 'prop' && this.view.isLeader) this.notices.forwarded(from, this.ctx.core.basicStatus().lastIndex);
    } catch (err) {
      this.ctx.log.debug('core rejected a message', { from, err });
    }
    this.kick();
  }

  /** Restores the state machine from a snapshot (at start, or one received from the leader). */
  installSnapshot(snap: Snapshot): void {
    this.applier.install(snap);
    this.snapshotIndex = snap.metadata.index;
    this.snapshotBytes = snap.data.byteLength;
    this.appliedBytes = 0;
  }

  /** After stop: waits for the Ready in hand, then writes a deferred commit index (unless failed). */
  async drain(): Promise<void> {
    this.notices.clear();
    await this.pumping?.catch(() => {});
    if (this.deferredHard && !this.failed) {
      await this.ctx.storage.save({ hardState: this.deferredHard }).catch((err: unknown) => this.ctx.log.warn('final save failed', { err }));
    }
  }

  private async pump(): Promise<void> {
    // Yield once so a burst of proposals/messages lands in one Ready.
    await Promise.resolve();
    const { ctx } = this;
    while (!ctx.stopped && ctx.core.hasReady()) {
      await this.handleReady(ctx.core.ready());
    }
  }

  private fail(err: unknown): void {
    this.failed = true;
    const error = toError(err);
    this.ctx.log.error('node failed; stopping', { err: error });
    this.ctx.events.emit('error', error);
    this.on.onFatal(error);
  }

  private async handleReady(rd: Ready): Promise<void> {
    const { ctx, view, applier } = this;
    view.observe(rd);
    this.contact.confirm(view.leader, view.term);
    // A leader's appends, heartbeats and snapshots may go out while its own disk write runs
    // (canSendBeforePersist), never ahead of a term or vote change in this same Ready, though a
    // leader's term and vote are normally durable since its candidacy.
    const hs = rd.hardState;
    const newTermOrVote = hs !== undefined && (hs.term !== this.persistedHard.term || hs.vote !== this.persistedHard.vote);
    const state = { leader: view.isLeader, termOrVotePending: newTermOrVote };
    const early = rd.messages.filter((m) => canSendBeforePersist(m, state));
    // A commit that covers a conf change is told at once, not held (commit-notices.ts): a leader
    // that removed itself or left may be gone before a held notice would go out, and the new
    // voters would never learn the configuration they must elect in (FOUND-BUGS 17).
    const commitsConfChange = rd.committedEntries.some((e) => e.type === EntryType.ConfChange);
    if (writeTracing) writeTrace('ready', rd.entries.at(-1)?.index ?? '', rd.committedEntries.at(-1)?.index ?? '');
    for (const m of early) this.sendRaft(m, commitsConfChange);
    // Transports write at the end of the current microtask turn: let them, before the save's
    // encoding and write calls, so the followers' round trip (the longer leg) starts first.
    if (early.length > 0) await Promise.resolve();
    // A commit index that covers a conf change is written before that change applies: on restart
    // the core starts from the snapshot's configuration and must see (via the commit index) that
    // committed conf changes are pending, or a stale configuration could let it elect itself.
    const commitOnly = hs !== undefined && !rd.snapshot && rd.entries.length === 0 && !newTermOrVote && !commitsConfChange;
    if (commitOnly) {
      // Only the commit index moved: nothing anyone was promised depends on it (etcd does not
      // sync it either), so it rides along with the next write instead of costing one now. A
      // crash loses at most a commit index the leader will tell us again.
      this.deferredHard = hs;
    } else if (rd.snapshot || rd.entries.length > 0 || hs || (commitsConfChange && this.deferredHard)) {
      // With a snapshot the older deferred commit would point below it: only hs may go along.
      const hardState = hs ?? (rd.snapshot ? undefined : this.deferredHard);
      const t0 = ctx.timers.now();
      if (writeTracing) writeTrace('save0', rd.entries.length);
      await ctx.storage.save({
        ...(rd.snapshot && { snapshot: rd.snapshot }),
        ...(rd.entries.length > 0 && { entries: rd.entries }),
        ...(hardState && { hardState }),
      });
      this.saveLatency.observe(ctx.timers.now() - t0);
      if (writeTracing) writeTrace('save1');
      if (hardState) this.persistedHard = hardState;
      this.deferredHard = undefined;
    }
    // Persisted: now the messages that promise it (votes, append acks) may go out.
    for (const m of rd.messages) if (!early.includes(m)) this.sendRaft(m, commitsConfChange);
    // The same before applying: a follower's acks go out before its state machine runs.
    if (rd.messages.length > early.length && rd.committedEntries.length > 0) await Promise.resolve();
    if (rd.snapshot && rd.snapshot.metadata.index > applier.applied) {
      this.installSnapshot(rd.snapshot);
      await this.persistWasMember();
    }
    const before = applier.applied;
    const wasIn = isMember(applier.confState, ctx.id);
    let confChanged = false;
    const applyConfChange = ctx.core.applyConfChange.bind(ctx.core);
    for (const e of rd.committedEntries) {
      if (e.index <= applier.applied) continue;
      this.appliedBytes += e.data.byteLength;
      const o = applier.apply(e, applyConfChange);
      if (o.kind === 'conf') confChanged = true;
      else if (o.kind === 'command') this.on.onCommand(o);
    }
    if (confChanged) await this.persistWasMember();
    if (writeTracing) writeTrace('applied', applier.applied);
    this.on.onReadStates(rd.readStates);
    this.on.serveReads();
    ctx.core.advance(rd);
    if (confChanged) this.on.onConfChanged(wasIn);
    if (applier.applied > before) {
      ctx.events.emit('applied', applier.applied);
      await this.maybeCompact();
    }
    this.on.emitStatus();
  }

  private sendRaft(m: Message, urgent = false): void {
    const { ctx } = this;
    if (m.to === ctx.id) {
      ctx.core.step(m);
      return;
    }
    this.notices.send(m, urgent);
  }

  private transmit(m: Message): void {
    const { ctx } = this;
    if (ctx.stopped) return;
    if (!ctx.send(m.to, { kind: 'raft', msg: m, ...this.contact.onSend(m) }) && m.type === 'app') ctx.core.reportUnreachable?.(m.to);
  }

  /**
   * Records, once, that this node has been a member, so that after a restart (before the log
   * replays the change that added it) it does not ask to join again.
   */
  private async persistWasMember(): Promise<void> {
    if (this.member.wasMember || !isMember(this.applier.confState, this.ctx.id)) return;
    await this.ctx.storage.setMeta(META_WAS_MEMBER, '1');
    this.member.wasMember = true;
  }

  private async maybeCompact(): Promise<void> {
    const { applier } = this;
    const { snapshotEntries, snapshotLogRatio } = this.ctx.opts;
    if (applier.applied - this.snapshotIndex < snapshotEntries) return;
    // Amortized: encoding the whole state costs at most snapshotLogRatio⁻¹ times the log it replaces.
    if (this.appliedBytes < this.snapshotBytes * snapshotLogRatio) return;
    const snap = applier.snapshot();
    await this.ctx.storage.compact(snap);
    this.snapshotIndex = applier.applied;
    this.snapshotBytes = snap.data.byteLength;
    this.appliedBytes = 0;
  }
}
