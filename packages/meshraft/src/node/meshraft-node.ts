/**
 * @module meshraft-node
 * The façade: a running node's public API, wired from one part per job. The core is pure and
 * synchronous; the parts own the timers, the I/O and the async.
 *
 * - host-loop: Readies in order (persist → send → install snapshot → apply → reads → advance)
 * - raft-view: role, leader and term as of the last Ready (the one source of them)
 * - applier: session table + state machine; reports outcomes
 * - proposals, reads, membership-ops: callers waiting on the cluster (deadlines: their timeouts)
 * - membership-driver: the leader's membership policy and the join protocol
 * - campaign: this node's and its peers' election switches
 * - node-status: status(), its events, metrics()
 */
import type { NodeId } from '@meshraft/core';
import { Applier } from './applier.js';
import { Campaign } from './campaign.js';
import { ClusterIdentity } from './cluster-identity.js';
import { Deadlines } from './deadlines.js';
import { ClusterForkedError, NodeStoppedError } from './errors.js';
import { ForkDetector, forkEntries, META_FORKED_BY, type ForkEvent } from './fork-detector.js';
import { HostLoop } from './host-loop.js';
import { MembershipDriver } from './membership-driver.js';
import { MembershipOps } from './membership-ops.js';
import type { NodeMetrics } from './metrics.js';
import { NodeContext } from './node-context.js';
import { NodeReporter } from './node-status.js';
import {
  META_WAS_MEMBER,
  type MeshraftNodeInit,
  type NodeEvents,
  type NodeStatus,
  type OpOptions,
  type ProposeOptions,
  type ReadOptions,
} from './node-types.js';
import { bytesKey, isMember } from './node-util.js';
import { PeerContact } from './peer-contact.js';
import { Proposals } from './proposals.js';
import { Reads } from './reads.js';
import { RaftView } from './raft-view.js';
import type { TimerHandle } from './timers.js';
import { decodeFrame } from './wire.js';

export * from './node-types.js';

/**
 * A per-start session id suffix. Not from the injected (possibly seeded) random source: a
 * restarted node replaying the same seed would reuse its old session and be answered with old
 * cached results. globalThis.crypto exists in browsers, workers, Node >= 19 and Deno.
 */
function sessionNonce(): string {
  const b = new Uint8Array(9);
  globalThis.crypto.getRandomValues(b);
  return bytesKey(b);
}

export class MeshraftNode<C = unknown, R = unknown, Q = unknown, QR = unknown> {
  readonly id: NodeId;
  readonly cluster: string;

  /** This node's cluster id (status().clusterId); null while a fresh joiner awaits admission. */
  get clusterId(): string | null {
    return this.identity.id;
  }

  private readonly ctx: NodeContext;
  private readonly deadlines: Deadlines;
  private readonly view: RaftView;
  private readonly contact: PeerContact;
  private readonly applier: Applier<C, R, Q, QR>;
  private readonly proposals: Proposals<C, R>;
  private readonly reads: Reads<Q, QR>;
  private readonly ops: MembershipOps;
  private readonly driver: MembershipDriver;
  private readonly campaign: Campaign;
  private readonly reporter: NodeReporter;
  private readonly loop: HostLoop<R>;
  private readonly identity: ClusterIdentity;
  private readonly detector: ForkDetector;
  private forkEvent: ForkEvent<C> | null = null;

  private ticker: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private unsubscribe: (() => void)[] = [];
  private stopping: Promise<void> | undefined;

  constructor(init: MeshraftNodeInit<C, R, Q, QR>) {
    this.id = init.id;
    this.cluster = init.cluster;
    const ctx = (this.ctx = new NodeContext(init as MeshraftNodeInit<unknown, unknown, unknown, unknown>));
    const clientId = `${init.id}/${(init.sessionNonce ?? sessionNonce)()}`;
    const initial = init.storage.initialState();
    this.identity = new ClusterIdentity(
      ctx,
      init.clusterId ?? null,
      init.expectedClusterId ?? null,
      (e, first) => {
        ctx.events.emit('foreign-cluster', { ...e, first });
        if (first) this.reporter.emitStatus();
        this.detector.onForeign(e.clusterId);
      },
      () => this.detector.announce(),
    );
    this.detector = new ForkDetector(
      init.transport.room,
      ctx.log,
      () => this.identity.id,
      (id) => this.identity.retarget(id),
      (survivorId) => this.lose(survivorId),
    );
    ctx.clusterIdFor = (kind) => this.identity.carried(kind);
    this.deadlines = new Deadlines(init.timers);
    this.view = new RaftView(ctx, initial.hardState, {
      onBecameLeader: () => this.driver.clearPending(),
      // A new leader: hand it everything unfinished now instead of at the next retry tick.
      onNewLeader: () => queueMicrotask(() => this.retryAll(true)),
    });
    this.contact = new PeerContact(init.timers);
    this.applier = new Applier(init.stateMachine, init.core, init.logger, initial.confState);
    const applier = this.applier as Applier<unknown, unknown, unknown, unknown>;
    this.proposals = new Proposals(ctx, clientId, (c: C) => this.applier.encodeCommand(c), this.deadlines);
    this.reads = new Reads<Q, QR>(ctx, clientId, this.applier as Applier<unknown, unknown, Q, QR>, this.view, this.contact, this.deadlines);
    this.ops = new MembershipOps(ctx, applier, this.view, this.deadlines);
    this.driver = new MembershipDriver(ctx, applier, this.view, this.contact, this.ops, () => ({
      ephemeral: this.campaign.ephemeral(),
      campaignOff: new Set([...this.campaign.peers].filter(([, on]) => !on).map(([id]) => id)),
    }));
    this.campaign = new Campaign(ctx, (peers) => {
      if (peers) this.reporter.emitMembers();
      this.reporter.emitStatus();
    });
    this.reporter = new NodeReporter(
      ctx,
      this.view,
      applier,
      this.campaign,
      this.contact,
      () => ({ pending: this.proposals.pending, failed: this.proposals.failed }),
      () => this.identityStatus(),
    );
    this.loop = new HostLoop<R>(ctx, this.view, this.applier as Applier<unknown, R, unknown, unknown>, this.contact, this.driver, this.reporter.saveLatency, {
      onCommand: (o) => this.proposals.onApplied(o),
      onReadStates: (rs) => this.reads.onReadStates(rs),
      serveReads: () => this.reads.serve(),
      onConfChanged: (wasIn) => this.onConfChanged(wasIn),
      emitStatus: () => this.reporter.emitStatus(),
      onFatal: () => {
        this.halt();
        void this.stop();
      },
    });
    ctx.kick = () => this.loop.kick();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Restores the state machine from the stored snapshot, creates the core and starts the timers. */
  start(): void {
    const { ctx, applier } = this;
    const snap = ctx.storage.snapshot();
    if (snap.metadata.index > 0) this.loop.installSnapshot(snap);
    // The core and this runtime both restart from the snapshot's configuration (the storage's
    // initialState().confState is the snapshot's) and re-apply the conf changes after it as the
    // log replays, as etcd does. No configuration is kept beside the log: one that disagreed with
    // the snapshot once let a restarted founder count only its own vote (FOUND-BUGS.md).
    this.driver.wasMember = ctx.storage.getMeta(META_WAS_MEMBER) === '1' || isMember(applier.confState, this.id);
    const { timing } = ctx.opts;
    ctx.core = ctx.adapter.create({
      id: this.id,
      storage: ctx.storage,
      electionTick: timing.electionTicks,
      heartbeatTick: timing.heartbeatTicks,
      random: ctx.random,
      preVote: true,
      checkQuorum: true,
      // Leaves room in the transport's ~1 MiB envelope for message headers.
      maxSizePerMsg: 256 * 1024,
      maxInflightMsgs: 256,
      applied: applier.applied,
    });
    // A history that lost a fork stays stopped (its event and entries are in `forked`).
    const forkedBy = ctx.storage.getMeta(META_FORKED_BY);
    if (forkedBy !== undefined) return this.lose(forkedBy);
    this.unsubscribe.push(
      ctx.transport.on('frame', (from, frame) => this.onFrame(from, frame)),
      ctx.transport.on('peer-up', (peer) => {
        this.driver.maybeJoin(true);
        this.campaign.announce([peer]);
      }),
      ctx.transport.on('peer-down', (peer) => {
        if (!ctx.stopped) ctx.core.reportUnreachable?.(peer);
      }),
      ctx.transport.on('link', () => {
        this.reporter.emitMembers();
        this.reporter.emitStatus(); // `waiting` follows the links
      }),
    );
    // The only voter cannot be contradicted: lead now rather than after a 1-2 s election timeout.
    // Only when the snapshot's configuration is the last one: while committed conf changes wait
    // to be re-applied the core refuses to campaign, and once applied the usual timeout runs.
    const cs = applier.confState;
    if (cs.voters.length === 1 && cs.voters[0] === this.id && cs.votersOutgoing.length === 0 && this.view.commit() === applier.applied) {
      ctx.core.campaign?.();
    }
    this.ticker = ctx.timers.setInterval(() => this.onTick(), timing.tickMs);
    this.retryTimer = ctx.timers.setInterval(() => {
      this.retryAll();
      // Reachability changes with silence as well as with links: `stuck` follows it.
      this.reporter.emitStatus();
      // Repeated every sweep: the frame is tiny, and a lost one would mislead a hand-over.
      this.campaign.announce();
    }, ctx.electionMs());
    this.loop.kick();
    this.driver.maybeJoin(true);
    this.detector.start();
  }

  /**
   * The fork this node's history lost (fork-detector), with its committed commands; null while it
   * has lost none. Also emitted as the 'fork' event; kept here for a node restarted after it.
   */
  get forked(): ForkEvent<C> | null {
    return this.forkEvent;
  }

  /** Stops timers, rejects everything pending with NodeStoppedError, closes transport and storage. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Leaves the cluster: hands leadership away if this node leads, removes itself from the
   * configuration, then stops. Rejects (still running) if the removal does not commit in time.
   */
  async leave(options: OpOptions = {}): Promise<void> {
    if (this.ctx.stopped) throw new NodeStoppedError();
    // Until it is out, an `outside` notice (the leader applied the removal first) is no reason to rejoin.
    this.driver.leaving(true);
    try {
      await this.ops.leave(options);
    } catch (err) {
      this.driver.leaving(false);
      throw err;
    }
    await this.stop();
  }

  /**
   * Says this node is going away now (a tab's pagehide), without waiting: every linked peer is
   * told, and the leader takes it out of the configuration at once (see docs/runtime.md,
   * "Churn"). The node keeps running; if it was a reload, it comes back with its log and joins
   * again as a learner. Unlike leave(), nothing is awaited and the node may rejoin later.
   */
  depart(): void {
    this.driver.depart();
  }

  // ---- commands and queries (proposals, reads) ----------------------------------------------

  /**
   * Replicates `command` and resolves with the state machine's result once it is committed and
   * applied on this node. Retried internally (same session key) across drops and leader changes;
   * applied at most once.
   */
  propose(command: C, options: ProposeOptions = {}): Promise<R> {
    const f = this.forkEvent;
    if (f) return Promise.reject(new ClusterForkedError(f.clusterId, f.survivorId));
    return this.proposals.propose(command, options);
  }

  /**
   * Queries the state machine. 'linearizable' (default) confirms leadership with a read index and
   * waits until applied >= that index; 'lease' answers from the leader's state while it holds a
   * lease (else falls back to linearizable); 'local' answers from this replica immediately and
   * may be stale.
   */
  read(query: Q, options: ReadOptions = {}): Promise<QR> {
    return this.reads.read(query, options);
  }

  // ---- membership (membership-ops) ----------------------------------------------------------

  /** Adds `id` as a non-voting learner; resolves once the change is applied here. */
  addLearner(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.ops.addLearner(id, options);
  }

  /** Turns learner (or new node) `id` into a voter. */
  promote(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.ops.promote(id, options);
  }

  /** Removes `id` from the configuration. */
  remove(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.ops.remove(id, options);
  }

  /** Hands leadership to voter `id`; resolves once this node sees `id` as leader. */
  transferLeadership(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.ops.transferLeadership(id, options);
  }

  /**
   * Turns this node's own elections off (false) or back on (true, the default). While off it
   * stays a voter: its election clock runs, it votes and acknowledges entries, but it never
   * starts a (pre-)election and ignores a leadership transfer to it (that transfer times out).
   * A leader keeps leading: hand leadership over separately (attachPageLifecycle does both for
   * a hidden tab). Not persisted: a restarted node campaigns. No-op once stopped.
   */
  setCampaign(enabled: boolean): void {
    this.campaign.set(enabled);
  }

  // ---- status (node-status) -----------------------------------------------------------------

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): () => void {
    return this.ctx.events.on(event, listener);
  }

  status(): NodeStatus {
    return this.reporter.status();
  }

  /** status().term without building the status (members, links): cheap enough per request. */
  get term(): number {
    return this.view.term;
  }

  /** status().leader without building the status; null once stopped. */
  get leader(): NodeId | null {
    return this.view.reportedLeader;
  }

  /** Counters for monitoring (the etcd gateway's /metrics reads them). */
  metrics(): NodeMetrics {
    return this.reporter.metrics();
  }

  // ---- wiring -------------------------------------------------------------------------------

  private onTick(): void {
    if (this.ctx.stopped) return;
    this.ctx.core.tick();
    this.driver.runPolicy();
    this.loop.kick();
  }

  private onFrame(from: NodeId, frame: Uint8Array): void {
    if (this.ctx.stopped) return;
    const env = decodeFrame(this.cluster, frame);
    if (!env || env.to !== this.id || env.from !== from) {
      this.ctx.log.debug('dropped a frame', { from, reason: env ? 'addressing' : 'malformed' });
      return;
    }
    // Another history under this name never reaches the core (cluster-identity).
    if (!this.identity.admit(env)) return;
    this.contact.heard(from);
    const p = env.payload;
    if (p.kind === 'raft') {
      this.driver.noticeOutsider(from);
      this.loop.step(from, p.msg, p.sentAt ?? p.answers);
    } else if (p.kind === 'join') this.driver.onJoin(p.node);
    else if (p.kind === 'depart') this.driver.onDepart(from, p.node);
    else if (p.kind === 'outside') this.driver.onOutside(from, p.at, p.final === true);
    else {
      // Every node announces this to every peer: a learner removed while away hears it is out too.
      this.driver.noticeOutsider(from);
      this.campaign.onPeer(from, p.enabled, p.ephemeral === true);
    }
  }

  private identityStatus(): { fields: Partial<NodeStatus>; key: string; foreignFrames: number } {
    const { identity } = this;
    const leader = this.view.reportedLeader;
    const waiting = this.ctx.stopped ? null : identity.waiting(leader, this.driver.wasMember || isMember(this.applier.confState, this.id));
    const foreignClusterIds = identity.foreignIds();
    return {
      fields: { clusterId: identity.id, foreignClusterIds, waiting, linkConflict: identity.linkConflict(), fork: this.forkEvent && { state: 'FORKED', clusterId: this.forkEvent.clusterId, survivorId: this.forkEvent.survivorId } },
      key: `${identity.id}|${foreignClusterIds.length}|${waiting}|${this.forkEvent?.survivorId}`,
      foreignFrames: identity.foreignFrames,
    };
  }

  /**
   * Re-submits what has waited an election timeout (or everything, after a leader change); safe
   * because duplicates are filtered by the session table.
   */
  private retryAll(everything = false): void {
    if (this.ctx.stopped) return;
    this.proposals.retry(this.ctx.timers.now() - this.ctx.electionMs(), everything);
    this.reads.retry();
    this.ops.retry();
    this.driver.maybeJoin(false);
  }

  private onConfChanged(wasIn: boolean): void {
    this.driver.clearPending();
    if (this.driver.onConfChanged(wasIn)) {
      this.ctx.log.info('removed from the configuration');
      this.ctx.events.emit('removed');
    }
    this.ops.onConfChanged(this.applier.confState);
    this.reporter.emitMembers();
  }

  private async shutdown(): Promise<void> {
    const { ctx } = this;
    this.halt();
    await this.loop.drain();
    await ctx.transport.close().catch((err: unknown) => ctx.log.warn('transport close failed', { err }));
    await ctx.storage.close().catch((err: unknown) => ctx.log.warn('storage close failed', { err }));
    ctx.events.emit('status', this.status());
    ctx.events.clear();
  }

  /**
   * This node's history lost a fork to `survivorId`: it halts (no proposal is acknowledged from
   * now on, pending ones reject with ClusterForkedError), remembers it in storage, and hands its
   * committed commands to the application. stop() still closes transport and storage.
   */
  private lose(survivorId: string): void {
    const { ctx } = this;
    const clusterId = this.identity.id;
    if (this.forkEvent || clusterId === null) return;
    const { entries, snapshotIndex } = forkEntries(ctx.storage, this.view.commit(), (b) => this.applier.decodeCommand(b));
    this.forkEvent = { clusterId, survivorId, entries, snapshotIndex };
    if (ctx.storage.getMeta(META_FORKED_BY) !== survivorId) {
      ctx.storage.setMeta(META_FORKED_BY, survivorId).catch((err: unknown) => ctx.log.error('could not persist the fork', { err }));
    }
    this.halt(() => new ClusterForkedError(clusterId, survivorId));
    ctx.events.emit('fork', this.forkEvent as ForkEvent);
    ctx.events.emit('status', this.status());
  }

  /** Synchronous part of stopping: no more ticks, frames or Readies; pending work rejected. */
  private halt(err: () => Error = () => new NodeStoppedError()): void {
    const { ctx } = this;
    if (ctx.stopped) return;
    this.detector.stop();
    this.view.freeze();
    ctx.stopped = true;
    if (this.ticker !== undefined) ctx.timers.clearInterval(this.ticker);
    if (this.retryTimer !== undefined) ctx.timers.clearInterval(this.retryTimer);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.proposals.onStop();
    this.deadlines.rejectAll(err);
  }
}
