/**
 * @module meshraft-node
 * The host loop: joins a Raft core, a durable storage and a transport into a running node.
 * The core is pure and synchronous; this class owns the timers, the I/O and the async.
 *
 * Per Ready, strictly one at a time: persist (snapshot, entries, hard state) → send its messages
 * → install a received snapshot → apply committed entries (conf changes via applyConfChange) →
 * serve read states → advance. The core keeps taking ticks, messages and proposals while a save
 * is in flight; only the next Ready waits.
 */
import { EntryType, MeshraftError, type ConfState, type Entry, type HardState, type NodeId, type Snapshot, type Status } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { LinkState, Transport } from '@meshraft/transport';
import type { NodeMetrics, MetricsRole } from './metrics.js';
import type { StateMachine } from '../kv/state-machine.js';
import { Emitter } from './emitter.js';
import {
  decodeCommandEntry,
  decodeSnapshotPayload,
  encodeCommandEntry,
  encodeSnapshotPayload,
} from './entry-codec.js';
import {
  ApplyFailedError,
  InvalidOptionError,
  NoLeaderError,
  NodeStoppedError,
  NoQuorumError,
  ProposalTooLargeError,
  StaleRequestError,
} from './errors.js';
import { LatencyRecorder } from './latency-histogram.js';
import { nextMembershipChange } from './membership-policy.js';
import { positiveMs, type Logger, type ResolvedOptions } from './options.js';
import type { ConfChange, CoreAdapter, Message, RaftCore, RaftRole, Ready } from './raft-core.js';
import { SessionTable, type SessionKey } from './sessions.js';
import type { TimerHandle, Timers } from './timers.js';
import { decodeFrame, encodeFrame, type RuntimePayload } from './wire.js';

export const META_NODE_ID = 'meshraft.nodeId';
export const META_CLUSTER = 'meshraft.cluster';
export const META_CONF_STATE = 'meshraft.confState';
/** Set once the node saw itself in the configuration: a removed member does not ask to join again. */
export const META_WAS_MEMBER = 'meshraft.wasMember';

export type MemberRole = 'voter' | 'learner';

export interface MemberStatus {
  readonly id: NodeId;
  readonly role: MemberRole;
  /** 'self' for this node; otherwise the transport's link state ('down' when unknown). */
  readonly link: LinkState | 'self';
  readonly rttMs: number | null;
  /** Replication progress; only known on the leader. */
  readonly match: number | null;
  /**
   * Whether the member may start elections (its setCampaign switch, e.g. off in a hidden tab), as
   * it last told this node; null if it has not. A TimeoutNow to a member with `false` is ignored.
   */
  readonly campaign?: boolean | null;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly cluster: string;
  readonly role: RaftRole;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly members: readonly MemberStatus[];
  /** A joint configuration change is in progress (both the old and new voter sets must agree). */
  readonly joint: boolean;
  readonly stopped: boolean;
  /**
   * Whether this node may start elections (see setCampaign). This and lastLeaderContactMs are
   * always set by MeshraftNode; optional so statuses built elsewhere (fixtures, older peers of
   * the worker RPC) stay valid.
   */
  readonly campaign?: boolean;
  /**
   * `timers.now()` when this node last received an append, heartbeat or snapshot chunk from the
   * leader of its current term; null if never. Lets a resumed tab see the first heartbeat.
   */
  readonly lastLeaderContactMs?: number | null;
}

export interface NodeEvents {
  status: (status: NodeStatus) => void;
  role: (role: RaftRole) => void;
  leader: (leader: NodeId | null) => void;
  applied: (index: number) => void;
  members: (members: readonly MemberStatus[]) => void;
  /** This node was removed from the configuration (by remove(), leave() or replacement). */
  removed: () => void;
  /** A fatal error (e.g. storage failure) stopped the node. */
  error: (err: Error) => void;
}

export type ReadConsistency = 'linearizable' | 'lease' | 'local';

export interface ProposeOptions {
  readonly timeoutMs?: number;
  /**
   * Re-submit a request that timed out (NoQuorumError.request) instead of a new one: the state
   * machine applies it at most once across every retry.
   */
  readonly request?: SessionKey;
}

export interface ReadOptions {
  readonly consistency?: ReadConsistency;
  readonly timeoutMs?: number;
}

export interface OpOptions {
  readonly timeoutMs?: number;
}

export interface MeshraftNodeInit<C, R, Q, QR> {
  readonly id: NodeId;
  readonly cluster: string;
  readonly storage: DurableStorage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<C, R, Q, QR>;
  readonly core: CoreAdapter;
  readonly timers: Timers;
  readonly random: () => number;
  readonly logger: Logger;
  readonly options: ResolvedOptions;
}

interface Pending {
  readonly timer: TimerHandle;
  readonly reject: (err: Error) => void;
}

interface ProposalWaiter<R> extends Pending {
  readonly key: SessionKey;
  readonly data: Uint8Array;
  /** When it was last handed to the core (retries wait an election timeout). */
  submittedAt: number;
  readonly resolve: (result: R) => void;
}

interface ReadWaiter extends Pending {
  readonly ctx: Uint8Array;
  /** Set once the core answered with a read index. */
  index: number | null;
  readonly serve: () => void;
}

interface ConfWaiter extends Pending {
  readonly cc: ConfChange;
  readonly done: (cs: ConfState) => boolean;
  readonly resolve: () => void;
}

const EMPTY = new Uint8Array(0);
const MAX_UNRESOLVED = 1024;
const textEncoder = new TextEncoder();

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

function isSessionKey(k: unknown): k is SessionKey {
  const o = k as Partial<SessionKey> | null;
  return typeof o === 'object' && o !== null && typeof o.client === 'string' && o.client !== '' &&
    Number.isSafeInteger(o.seq) && (o.seq as number) > 0;
}

function sessionKeyString(k: SessionKey): string {
  return `${k.client}\u0000${k.seq}`;
}

function bytesKey(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function isMember(cs: ConfState, id: NodeId): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id) || cs.votersOutgoing.includes(id);
}

function isLeaderBroadcast(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot';
}

function isDropped(err: unknown): boolean {
  return err instanceof MeshraftError && err.code === 'PROPOSAL_DROPPED';
}

export class MeshraftNode<C = unknown, R = unknown, Q = unknown, QR = unknown> {
  readonly id: NodeId;
  readonly cluster: string;

  private readonly storage: DurableStorage;
  private readonly transport: Transport;
  private readonly sm: StateMachine<C, R, Q, QR>;
  private readonly adapter: CoreAdapter;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly opts: ResolvedOptions;
  private readonly events: Emitter<NodeEvents>;
  private core!: RaftCore;

  private sessions = new SessionTable();
  /** This runtime's session id: fresh per start, so sequence numbers never need persisting. */
  private readonly clientId: string;
  private seq = 0;
  private readonly proposals = new Map<string, ProposalWaiter<R>>();
  /** Own requests that timed out without a known outcome; they hold the acked floor down. */
  private readonly unresolved = new Set<number>();
  /** Own seqs in flight or unresolved; `lowOutstanding` only moves up past seqs not in it. */
  private readonly outstanding = new Set<number>();
  private lowOutstanding = 1;
  private readonly reads = new Map<string, ReadWaiter>();
  private readSeq = 0;
  private readonly confWaiters = new Set<ConfWaiter>();

  private confState: ConfState;
  private applied = 0;
  private appliedTerm = 0;
  private snapshotIndex = 0;
  private role: RaftRole = 'follower';
  private leader: NodeId | null = null;
  private leaderSince = 0;
  private campaign = true;
  private lastLeaderContact: number | null = null;
  private readonly lastHeard = new Map<NodeId, number>();
  /** Each peer's campaign switch, as it last told us (wire kind 'campaign'). */
  private readonly peerCampaign = new Map<NodeId, boolean>();
  /** Bumped on every change of peerCampaign: part of the status change key (page lifecycle listens). */
  private peerCampaignChanges = 0;
  /** When each peer last answered this node's appends/heartbeats, and in which term. */
  private readonly lastAck = new Map<NodeId, { at: number; term: number }>();
  private term = 0;
  private wasMember = false;
  /** The last hard state written to storage, and a newer commit-only one not yet written. */
  private persistedHard: HardState;
  private deferredHard: HardState | undefined;
  private failed = false;
  private finalStatus: Status | undefined;
  /** Conf change the membership policy proposed and when; one at a time. */
  private policyPending: { key: string; at: number } | null = null;
  private readonly joinRequested = new Map<NodeId, number>();
  private lastJoinSent = -Infinity;

  private ticker: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private unsubscribe: (() => void)[] = [];
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private lastStatusKey = '';
  private readonly counters = { failed: 0, elections: 0, leaderChanges: 0 };
  private readonly saveLatency = new LatencyRecorder();

  constructor(init: MeshraftNodeInit<C, R, Q, QR>) {
    this.id = init.id;
    this.cluster = init.cluster;
    this.storage = init.storage;
    this.transport = init.transport;
    this.sm = init.stateMachine;
    this.adapter = init.core;
    this.timers = init.timers;
    this.random = init.random;
    this.log = init.logger;
    this.opts = init.options;
    this.events = new Emitter<NodeEvents>((err) => this.log.error('event listener threw', { err }));
    this.clientId = `${init.id}/${sessionNonce()}`;
    this.confState = init.storage.initialState().confState;
    this.persistedHard = init.storage.initialState().hardState;
    this.term = this.persistedHard.term;
  }

  /** Restores the state machine from the stored snapshot, creates the core and starts the timers. */
  start(): void {
    const snap = this.storage.snapshot();
    if (snap.metadata.index > 0) this.installSnapshot(snap);
    const storedConf = this.storage.getMeta(META_CONF_STATE);
    // The core restarts from the snapshot's configuration and replays the rest; only the join
    // decision looks at the last configuration this node applied before it went down.
    let lastConf = this.confState;
    try {
      if (storedConf !== undefined) lastConf = JSON.parse(storedConf) as ConfState;
    } catch {
      this.log.warn('ignoring an unreadable stored configuration');
    }
    this.wasMember = this.storage.getMeta(META_WAS_MEMBER) === '1' || isMember(lastConf, this.id);
    const { timing } = this.opts;
    this.core = this.adapter.create({
      id: this.id,
      storage: this.storage,
      electionTick: timing.electionTicks,
      heartbeatTick: timing.heartbeatTicks,
      random: this.random,
      preVote: true,
      checkQuorum: true,
      // Leaves room in the transport's ~1 MiB envelope for message headers.
      maxSizePerMsg: 256 * 1024,
      maxInflightMsgs: 256,
      applied: this.applied,
    });
    this.unsubscribe.push(
      this.transport.on('frame', (from, frame) => this.onFrame(from, frame)),
      this.transport.on('peer-up', (peer) => {
        this.maybeJoin(true);
        this.announceCampaign([peer]);
      }),
      this.transport.on('peer-down', (peer) => {
        if (!this.stopped) this.core.reportUnreachable?.(peer);
      }),
      this.transport.on('link', () => this.emitMembers()),
    );
    // The only voter cannot be contradicted: lead now rather than after a 1-2 s election timeout.
    const cs = this.confState;
    if (cs.voters.length === 1 && cs.voters[0] === this.id && cs.votersOutgoing.length === 0) this.core.campaign?.();
    this.ticker = this.timers.setInterval(() => this.onTick(), timing.tickMs);
    this.retryTimer = this.timers.setInterval(() => {
      this.retryAll();
      // Repeated every sweep: the frame is tiny, and a lost one would mislead a hand-over.
      this.announceCampaign();
    }, this.electionMs());
    this.kick();
    this.maybeJoin(true);
  }

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  status(): NodeStatus {
    // After stop, the last figures the core reported (the core itself is no longer driven).
    const s = this.stopped ? this.finalStatus : (this.finalStatus = this.core.status());
    return {
      id: this.id,
      cluster: this.cluster,
      role: s?.role ?? this.role,
      term: s?.term ?? 0,
      leader: this.stopped ? null : (s?.lead ?? null),
      commit: s?.commit ?? 0,
      applied: this.applied,
      members: this.members(),
      joint: this.confState.votersOutgoing.length > 0,
      stopped: this.stopped,
      campaign: this.campaign,
      lastLeaderContactMs: this.lastLeaderContact,
    };
  }

  /** Counters for monitoring (the etcd gateway's /metrics reads them). */
  metrics(): NodeMetrics {
    const s = this.status();
    const role: MetricsRole = s.role === 'preCandidate' ? 'pre-candidate' : s.role;
    return {
      role,
      term: s.term,
      leader: s.leader,
      commitIndex: s.commit,
      appliedIndex: s.applied,
      proposalsCommitted: s.commit,
      proposalsApplied: s.applied,
      proposalsPending: this.proposals.size,
      proposalsFailed: this.counters.failed,
      electionsStarted: this.counters.elections,
      leaderChanges: this.counters.leaderChanges,
      links: this.transport.links().map((l) => ({ peer: l.peer, state: l.state })),
      storageWriteLatency: this.saveLatency.snapshot(),
    };
  }

  // ---- proposals ----------------------------------------------------------------------------

  /**
   * Replicates `command` and resolves with the state machine's result once it is committed and
   * applied on this node. Retried internally (same session key) across drops and leader changes;
   * applied at most once.
   */
  propose(command: C, options: ProposeOptions = {}): Promise<R> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? this.opts.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    if (options.request !== undefined && !isSessionKey(options.request)) {
      return Promise.reject(new InvalidOptionError('request', 'must be { client, seq } from a NoQuorumError'));
    }
    const key = options.request ?? { client: this.clientId, seq: ++this.seq };
    const ks = sessionKeyString(key);
    if (this.proposals.has(ks)) return Promise.reject(new InvalidOptionError('request', 'already in flight'));
    let data: Uint8Array;
    try {
      const acked = key.client === this.clientId ? this.ackedFloor(key.seq) : 0;
      data = encodeCommandEntry({ client: key.client, seq: key.seq, acked, command: this.sm.encodeCommand(command) });
    } catch (err) {
      return Promise.reject(err);
    }
    if (data.byteLength > this.opts.maxProposalBytes) {
      return Promise.reject(new ProposalTooLargeError(data.byteLength, this.opts.maxProposalBytes));
    }
    return new Promise<R>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.proposals.delete(ks);
        this.counters.failed++;
        if (key.client === this.clientId) this.markUnresolved(key.seq);
        reject(new NoQuorumError(timeoutMs, key));
      }, timeoutMs);
      const w: ProposalWaiter<R> = { key, data, timer, resolve, reject, submittedAt: 0 };
      this.proposals.set(ks, w);
      if (key.client === this.clientId) {
        this.unresolved.delete(key.seq);
        this.outstanding.add(key.seq);
      }
      this.submit(w);
    });
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

  private submit(w: ProposalWaiter<R>): void {
    w.submittedAt = this.timers.now();
    try {
      this.core.propose(w.data);
    } catch (err) {
      if (!isDropped(err)) {
        this.settleProposal(w, undefined, err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // Dropped (no leader yet, transfer in progress): the retry timer submits it again.
    }
    this.kick();
  }

  private settleProposal(w: ProposalWaiter<R>, result: R | undefined, err?: Error): void {
    const ks = sessionKeyString(w.key);
    if (this.proposals.get(ks) !== w) return;
    this.proposals.delete(ks);
    this.timers.clearTimeout(w.timer);
    if (w.key.client === this.clientId) this.answered(w.key.seq);
    if (err) this.counters.failed++;
    if (err) w.reject(err);
    else w.resolve(result as R);
  }

  /**
   * Re-submits what has waited an election timeout (or everything, after a leader change); safe
   * because duplicates are filtered by the session table.
   */
  private retryAll(everything = false): void {
    if (this.stopped) return;
    const due = this.timers.now() - this.electionMs();
    for (const w of this.proposals.values()) if (everything || w.submittedAt <= due) this.submit(w);
    for (const r of this.reads.values()) if (r.index === null) this.requestReadIndex(r.ctx);
    for (const c of this.confWaiters) this.submitConfChange(c.cc);
    this.maybeJoin(false);
  }

  /** Tells peers (default: every linked one) this node's campaign switch (see MemberStatus.campaign). */
  private announceCampaign(peers: readonly NodeId[] = this.transport.links().map((l) => l.peer)): void {
    if (this.stopped) return;
    for (const peer of peers) this.sendPayload(peer, { kind: 'campaign', enabled: this.campaign });
  }

  // ---- reads --------------------------------------------------------------------------------

  /**
   * Queries the state machine. 'linearizable' (default) confirms leadership with a read index and
   * waits until applied >= that index; 'lease' answers from the leader's state while it holds a
   * lease (see holdsLease; else falls back to linearizable); 'local' answers from this replica
   * immediately and may be stale.
   */
  read(query: Q, options: ReadOptions = {}): Promise<QR> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    const consistency = options.consistency ?? 'linearizable';
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? this.opts.timeoutMs);
      if (!['linearizable', 'lease', 'local'].includes(consistency)) {
        throw new InvalidOptionError('consistency', `unknown consistency ${String(consistency)}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (consistency === 'local') return this.query(query);
    if (consistency === 'lease' && this.holdsLease()) {
      const commit = this.core.status().commit;
      return this.waitApplied(commit, timeoutMs).then(() => this.query(query));
    }
    const ctx = textEncoder.encode(`${this.clientId}:r${++this.readSeq}`);
    const ck = bytesKey(ctx);
    return new Promise<QR>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.reads.delete(ck);
        reject(new NoQuorumError(timeoutMs));
      }, timeoutMs);
      const w: ReadWaiter = {
        ctx,
        index: null,
        timer,
        reject,
        serve: () => {
          this.reads.delete(ck);
          this.timers.clearTimeout(timer);
          this.query(query).then(resolve, reject);
        },
      };
      this.reads.set(ck, w);
      this.requestReadIndex(ctx);
    });
  }

  private query(query: Q): Promise<QR> {
    try {
      return Promise.resolve(this.sm.query(query));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private requestReadIndex(ctx: Uint8Array): void {
    try {
      this.core.readIndex(ctx);
    } catch (err) {
      if (!isDropped(err)) this.log.warn('readIndex failed', { err });
    }
    this.kick();
  }

  /**
   * A leader holds a lease while a quorum acknowledged it (append/heartbeat answers of its term)
   * within half an election timeout: with CheckQuorum, a follower that heard from its leader
   * refuses to elect another one for a full election timeout. The half leaves room for the
   * round trip and clock drift. Until an entry of its own term is applied, the leader's commit
   * index may be stale, so it holds no lease.
   */
  private holdsLease(): boolean {
    if (this.role !== 'leader' || this.appliedTerm !== this.term) return false;
    const since = this.timers.now() - this.electionMs() / 2;
    const fresh = (ids: readonly NodeId[]): boolean => {
      const acked = ids.filter((id) => {
        if (id === this.id) return true;
        const a = this.lastAck.get(id);
        return a !== undefined && a.term === this.term && a.at >= since;
      });
      return acked.length * 2 > ids.length;
    };
    const cs = this.confState;
    return cs.voters.length > 0 && fresh(cs.voters) && (cs.votersOutgoing.length === 0 || fresh(cs.votersOutgoing));
  }

  private waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    const ctx = EMPTY;
    const ck = `applied:${++this.readSeq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.reads.delete(ck);
        reject(new NoQuorumError(timeoutMs));
      }, timeoutMs);
      this.reads.set(ck, {
        ctx,
        index,
        timer,
        reject,
        serve: () => {
          this.reads.delete(ck);
          this.timers.clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  // ---- membership ---------------------------------------------------------------------------

  /** Adds `id` as a non-voting learner; resolves once the change is applied here. */
  addLearner(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.changeMembership({ changes: [{ type: 'addLearner', node: id }] }, (cs) => isMember(cs, id), options);
  }

  /** Turns learner (or new node) `id` into a voter. */
  promote(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.changeMembership({ changes: [{ type: 'addVoter', node: id }] }, (cs) => cs.voters.includes(id), options);
  }

  /** Removes `id` from the configuration. */
  remove(id: NodeId, options: OpOptions = {}): Promise<void> {
    return this.changeMembership({ changes: [{ type: 'remove', node: id }] }, (cs) => !isMember(cs, id), options);
  }

  private changeMembership(cc: ConfChange, done: (cs: ConfState) => boolean, options: OpOptions): Promise<void> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? this.opts.timeoutMs);
      for (const c of cc.changes) {
        if (typeof c.node !== 'string' || c.node === '') throw new InvalidOptionError('id', 'must be a non-empty string');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    if (done(this.confState)) return Promise.resolve();
    const cs = this.confState;
    const removed = new Set(cc.changes.filter((c) => c.type !== 'addVoter').map((c) => c.node));
    if (cs.voters.length > 0 && cs.voters.every((v) => removed.has(v))) {
      // The core would ignore it (a configuration needs a voter); say so instead of timing out.
      return Promise.reject(new InvalidOptionError('id', 'the last voter cannot be removed or demoted'));
    }
    return new Promise<void>((resolve, reject) => {
      const w: ConfWaiter = {
        cc,
        done,
        resolve: () => {
          this.confWaiters.delete(w);
          this.timers.clearTimeout(w.timer);
          resolve();
        },
        reject,
        timer: this.timers.setTimeout(() => {
          this.confWaiters.delete(w);
          reject(new NoQuorumError(timeoutMs));
        }, timeoutMs),
      };
      this.confWaiters.add(w);
      this.submitConfChange(cc);
    });
  }

  private submitConfChange(cc: ConfChange): void {
    try {
      this.core.proposeConfChange(cc);
    } catch (err) {
      if (!isDropped(err)) this.log.warn('conf change rejected', { err, cc });
    }
    this.kick();
  }

  /**
   * Turns this node's own elections off (false) or back on (true, the default). While off it
   * stays a voter: its election clock runs, it votes and acknowledges entries, but it never
   * starts a (pre-)election and ignores a leadership transfer to it (that transfer times out).
   * A leader keeps leading: hand leadership over separately (attachPageLifecycle does both for
   * a hidden tab). Not persisted: a restarted node campaigns. No-op once stopped.
   */
  setCampaign(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new InvalidOptionError('setCampaign', 'expects a boolean');
    if (this.stopped || enabled === this.campaign) return;
    if (!this.core.setCampaign) throw new InvalidOptionError('setCampaign', 'the injected core does not support it');
    this.core.setCampaign(enabled);
    this.campaign = enabled;
    this.announceCampaign();
    this.emitStatus();
    this.kick();
  }

  /** Hands leadership to voter `id`; resolves once this node sees `id` as leader. */
  transferLeadership(id: NodeId, options: OpOptions = {}): Promise<void> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    let timeoutMs: number;
    try {
      timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? this.opts.timeoutMs);
      if (!this.confState.voters.includes(id)) throw new InvalidOptionError('id', `${id} is not a voter`);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.leader === id) return Promise.resolve();
    if (this.leader === null) return Promise.reject(new NoLeaderError('transferLeadership'));
    return new Promise<void>((resolve, reject) => {
      const retry = this.timers.setInterval(() => {
        try {
          this.core.transferLeadership(id);
          this.kick();
        } catch (err) {
          this.log.warn('transferLeadership failed', { err });
        }
      }, this.electionMs());
      const off = this.events.on('leader', (l) => {
        if (l !== id) return;
        cleanup();
        resolve();
      });
      const timer = this.timers.setTimeout(() => {
        cleanup();
        reject(new NoQuorumError(timeoutMs));
      }, timeoutMs);
      const stopOff = this.events.on('status', (s) => {
        if (!s.stopped) return;
        cleanup();
        reject(new NodeStoppedError());
      });
      const cleanup = (): void => {
        off();
        stopOff();
        this.timers.clearTimeout(timer);
        this.timers.clearInterval(retry);
      };
      try {
        this.core.transferLeadership(id);
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.kick();
    });
  }

  /**
   * Leaves the cluster: hands leadership away if this node leads, removes itself from the
   * configuration, then stops. Rejects (still running) if the removal does not commit in time.
   */
  async leave(options: OpOptions = {}): Promise<void> {
    if (this.stopped) throw new NodeStoppedError();
    if (isMember(this.confState, this.id)) {
      const others = this.confState.voters.filter((v) => v !== this.id);
      if (this.role === 'leader' && others.length > 0) {
        const progress = this.core.status().progress ?? {};
        const best = [...others].sort((a, b) => (progress[b]?.match ?? 0) - (progress[a]?.match ?? 0))[0]!;
        try {
          await this.transferLeadership(best, options);
        } catch (err) {
          this.log.warn('leave: leadership transfer failed; removing self as leader', { err });
        }
      }
      await this.remove(this.id, options);
    }
    await this.stop();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Stops timers, rejects everything pending with NodeStoppedError, closes transport and storage. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.halt();
    await this.pumping?.catch(() => {});
    if (this.deferredHard && !this.failed) {
      await this.storage.save({ hardState: this.deferredHard }).catch((err: unknown) => this.log.warn('final save failed', { err }));
    }
    await this.transport.close().catch((err: unknown) => this.log.warn('transport close failed', { err }));
    await this.storage.close().catch((err: unknown) => this.log.warn('storage close failed', { err }));
    this.events.emit('status', this.status());
    this.events.clear();
  }

  /** Synchronous part of stopping: no more ticks, frames or Readies; pending work rejected. */
  private halt(): void {
    if (this.stopped) return;
    this.finalStatus = this.core.status();
    this.stopped = true;
    if (this.ticker !== undefined) this.timers.clearInterval(this.ticker);
    if (this.retryTimer !== undefined) this.timers.clearInterval(this.retryTimer);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.counters.failed += this.proposals.size;
    const pending: Pending[] = [...this.proposals.values(), ...this.reads.values(), ...this.confWaiters];
    this.proposals.clear();
    this.reads.clear();
    this.confWaiters.clear();
    for (const p of pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new NodeStoppedError());
    }
  }

  // ---- the loop -----------------------------------------------------------------------------

  private electionMs(): number {
    return this.opts.timing.tickMs * this.opts.timing.electionTicks;
  }

  private onTick(): void {
    if (this.stopped) return;
    this.core.tick();
    if (this.role === 'leader' && this.opts.membership.auto) this.runMembershipPolicy();
    this.kick();
  }

  private onFrame(from: NodeId, frame: Uint8Array): void {
    if (this.stopped) return;
    const env = decodeFrame(this.cluster, frame);
    if (!env || env.to !== this.id || env.from !== from) {
      this.log.debug('dropped a frame', { from, reason: env ? 'addressing' : 'malformed' });
      return;
    }
    this.lastHeard.set(from, this.timers.now());
    const p = env.payload;
    if (p.kind === 'raft') {
      if (p.msg.type === 'appResp' || p.msg.type === 'heartbeatResp') {
        this.lastAck.set(from, { at: this.timers.now(), term: p.msg.term });
      }
      try {
        this.core.step(p.msg);
      } catch (err) {
        this.log.debug('core rejected a message', { from, err });
      }
      if (isLeaderBroadcast(p.msg)) this.noteLeaderContact(from, p.msg.term);
      this.kick();
    } else if (p.kind === 'join') {
      this.onJoin(p.node);
    } else if (this.peerCampaign.get(from) !== p.enabled) {
      this.peerCampaign.set(from, p.enabled);
      this.peerCampaignChanges++;
      this.emitMembers();
      this.emitStatus();
    }
  }

  /** A broadcast counts as leader contact only if the core took its sender as its leader. */
  private noteLeaderContact(from: NodeId, term: number): void {
    const s = this.core.status();
    if (s.lead === from && s.term === term) this.lastLeaderContact = this.timers.now();
  }

  private sendPayload(to: NodeId, payload: RuntimePayload): boolean {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(this.cluster, this.id, to, payload);
    } catch (err) {
      // Too large for the envelope: dropped like a lost frame; Raft resends what matters.
      this.log.warn('frame not sent', { to, err });
      return false;
    }
    return this.transport.send(to, frame);
  }

  /** Runs Readies until the core has none; at most one loop at a time. */
  private kick(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = this.pump()
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.pumping = undefined;
        // Work that arrived after the loop's last hasReady() check would otherwise wait for the next tick.
        if (!this.stopped && this.core.hasReady()) this.kick();
      });
  }

  private async pump(): Promise<void> {
    // Yield once so a burst of proposals/messages lands in one Ready.
    await Promise.resolve();
    while (!this.stopped && this.core.hasReady()) {
      await this.handleReady(this.core.ready());
    }
  }

  private fail(err: unknown): void {
    this.failed = true;
    const error = err instanceof Error ? err : new Error(String(err));
    this.log.error('node failed; stopping', { err: error });
    this.events.emit('error', error);
    this.halt();
    void this.stop();
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.lead);
    if (rd.hardState) this.term = rd.hardState.term;
    // Thesis §10.2.1: a leader's appends, heartbeats and snapshots may go out while its own disk
    // write runs (it counts its own copy only after advance); everything else waits for the save.
    // Never ahead of a term or vote change in this same Ready, though a leader's term and vote
    // are normally durable since its candidacy (its vote requests waited for them).
    const hs = rd.hardState;
    const newTermOrVote = hs !== undefined && (hs.term !== this.persistedHard.term || hs.vote !== this.persistedHard.vote);
    const early = this.role === 'leader' && !newTermOrVote ? rd.messages.filter(isLeaderBroadcast) : [];
    for (const m of early) this.sendRaft(m);
    // A commit index that covers a conf change is written before that change applies: on restart
    // the core starts from the snapshot's configuration and must see (via the commit index) that
    // committed conf changes are pending, or a stale configuration could let it elect itself.
    const commitsConfChange = rd.committedEntries.some((e) => e.type === EntryType.ConfChange);
    const commitOnly = hs !== undefined && !rd.snapshot && rd.entries.length === 0 && !newTermOrVote && !commitsConfChange;
    if (commitOnly) {
      // Only the commit index moved: nothing anyone was promised depends on it (etcd does not
      // sync it either), so it rides along with the next write instead of costing one now. A
      // crash loses at most a commit index the leader will tell us again.
      this.deferredHard = hs;
    } else if (rd.snapshot || rd.entries.length > 0 || hs || (commitsConfChange && this.deferredHard)) {
      // With a snapshot the older deferred commit would point below it: only hs may go along.
      const hardState = hs ?? (rd.snapshot ? undefined : this.deferredHard);
      const t0 = this.timers.now();
      await this.storage.save({
        ...(rd.snapshot && { snapshot: rd.snapshot }),
        ...(rd.entries.length > 0 && { entries: rd.entries }),
        ...(hardState && { hardState }),
      });
      this.saveLatency.observe(this.timers.now() - t0);
      if (hardState) this.persistedHard = hardState;
      this.deferredHard = undefined;
    }
    // Persisted: now the messages that promise it (votes, append acks) may go out.
    for (const m of rd.messages) if (!early.includes(m)) this.sendRaft(m);
    if (rd.snapshot && rd.snapshot.metadata.index > this.applied) {
      this.installSnapshot(rd.snapshot);
      await this.persistConfState();
    }
    const before = this.applied;
    const wasIn = isMember(this.confState, this.id);
    let confChanged = false;
    for (const e of rd.committedEntries) {
      if (e.index <= this.applied) continue;
      if (this.applyEntry(e)) confChanged = true;
    }
    if (confChanged) await this.persistConfState();
    for (const rs of rd.readStates) {
      const w = this.reads.get(bytesKey(rs.context));
      if (w) w.index = rs.index;
    }
    this.serveReads();
    this.core.advance(rd);
    if (confChanged) this.onConfChanged(wasIn);
    if (this.applied > before) {
      this.events.emit('applied', this.applied);
      await this.maybeCompact();
    }
    this.emitStatus();
  }

  private sendRaft(m: Message): void {
    if (m.to === this.id) {
      this.core.step(m);
      return;
    }
    if (!this.sendPayload(m.to, { kind: 'raft', msg: m }) && m.type === 'app') this.core.reportUnreachable?.(m.to);
  }

  private onSoftState(role: RaftRole, lead: NodeId | null): void {
    if (role !== this.role) {
      if (role === 'candidate') this.counters.elections++;
      this.role = role;
      if (role === 'leader') {
        this.leaderSince = this.timers.now();
        this.policyPending = null;
      }
      this.events.emit('role', role);
    }
    if (lead !== this.leader) {
      if (lead !== null) this.counters.leaderChanges++;
      this.leader = lead;
      this.events.emit('leader', lead);
      // A new leader: hand it everything unfinished now instead of at the next retry tick.
      if (lead !== null) queueMicrotask(() => this.retryAll(true));
    }
  }

  /** Applies one committed entry; returns true if it changed the configuration. */
  private applyEntry(e: Entry): boolean {
    this.applied = e.index;
    this.appliedTerm = e.term;
    if (e.type === EntryType.ConfChange) {
      let cc: ConfChange;
      try {
        cc = this.adapter.decodeConfChange(e.data);
      } catch (err) {
        // Only a corrupted entry can fail to decode; every replica skips it alike.
        this.log.error('skipped an undecodable conf change entry', { index: e.index, err });
        return false;
      }
      this.confState = this.core.applyConfChange(cc);
      return true;
    }
    if (e.data.byteLength === 0) return false; // a new leader's empty entry
    const ce = decodeCommandEntry(e.data);
    if (!ce) {
      this.log.warn('skipped an entry the runtime did not write', { index: e.index });
      return false;
    }
    const key = { client: ce.client, seq: ce.seq };
    const w = this.proposals.get(sessionKeyString(key));
    const outcome = this.sessions.check(key, e.index);
    if (outcome.kind === 'apply') {
      let result: R | undefined;
      let error: Error | undefined;
      try {
        result = this.sm.apply(this.sm.decodeCommand(ce.command), { index: e.index, term: e.term });
      } catch (err) {
        // The contract says apply never throws; if it does, every replica throws alike.
        error = new ApplyFailedError(e.index, err);
        this.log.error('state machine apply threw', { index: e.index, err });
      }
      this.sessions.record(key, ce.acked, e.index, true, result);
      if (ce.client === this.clientId) this.answered(ce.seq);
      if (w) this.settleProposal(w, result, error);
    } else {
      this.sessions.record(key, ce.acked, e.index, false);
      if (outcome.kind === 'duplicate') {
        if (ce.client === this.clientId) this.answered(ce.seq);
        if (w) this.settleProposal(w, outcome.result as R);
      } else {
        if (ce.client === this.clientId) this.answered(ce.seq);
        if (w) this.settleProposal(w, undefined, new StaleRequestError(key));
      }
    }
    return false;
  }

  private serveReads(): void {
    for (const r of [...this.reads.values()]) if (r.index !== null && this.applied >= r.index) r.serve();
  }

  private installSnapshot(snap: Snapshot): void {
    const p = decodeSnapshotPayload(snap.data);
    this.sm.restore(p.state);
    this.sessions = SessionTable.fromData(p.sessions);
    this.applied = snap.metadata.index;
    this.appliedTerm = snap.metadata.term;
    this.snapshotIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
  }

  /**
   * Records the applied configuration beside the log, for status and the join decision right
   * after a restart. The core itself restarts from the snapshot's configuration and re-applies
   * the conf changes after it as the log replays (the state machine is rebuilt the same way).
   */
  private async persistConfState(): Promise<void> {
    await this.storage.setMeta(META_CONF_STATE, JSON.stringify(this.confState));
    if (!this.wasMember && isMember(this.confState, this.id)) await this.storage.setMeta(META_WAS_MEMBER, '1');
  }

  private onConfChanged(wasIn: boolean): void {
    this.policyPending = null;
    const member = isMember(this.confState, this.id);
    if (member) this.wasMember = true;
    else if (wasIn) {
      this.log.info('removed from the configuration');
      this.events.emit('removed');
    }
    for (const w of [...this.confWaiters]) if (w.done(this.confState)) w.resolve();
    this.emitMembers();
  }

  private async maybeCompact(): Promise<void> {
    if (this.applied - this.snapshotIndex < this.opts.snapshotEntries) return;
    const snapshot: Snapshot = {
      metadata: { index: this.applied, term: this.appliedTerm, confState: this.confState },
      data: encodeSnapshotPayload({ state: this.sm.snapshot(), sessions: this.sessions.toData() }),
    };
    await this.storage.compact(snapshot);
    this.snapshotIndex = this.applied;
  }

  // ---- membership automation ----------------------------------------------------------------

  private runMembershipPolicy(): void {
    const now = this.timers.now();
    // One change at a time; give up on one that never applied after a timeout.
    if (this.policyPending && now - this.policyPending.at < this.opts.timeoutMs) return;
    const s = this.core.status();
    const cc = nextMembershipChange(
      {
        self: this.id,
        confState: this.confState,
        commit: s.commit,
        progress: s.progress ?? {},
        lastHeard: this.lastHeard,
        now,
        leaderSince: this.leaderSince,
      },
      { ...this.opts.membership, aliveMs: 2 * this.electionMs() },
    );
    if (!cc) return;
    this.log.info('membership change', { cc });
    this.policyPending = { key: JSON.stringify(cc), at: now };
    this.submitConfChange(cc);
  }

  private onJoin(node: NodeId): void {
    if (isMember(this.confState, node)) return;
    if (this.role === 'leader') {
      const now = this.timers.now();
      const last = this.joinRequested.get(node);
      if (last !== undefined && now - last < this.electionMs()) return; // already proposed
      this.joinRequested.set(node, now);
      this.log.info('adding joining node as learner', { node });
      this.submitConfChange({ changes: [{ type: 'addLearner', node }] });
    } else if (this.leader !== null && this.leader !== this.id) {
      this.sendPayload(this.leader, { kind: 'join', node });
    }
  }

  /** A node not in the configuration asks reachable peers to let it in (forwarded to the leader). */
  private maybeJoin(force: boolean): void {
    if (this.stopped || this.wasMember || isMember(this.confState, this.id)) return;
    const now = this.timers.now();
    if (!force && now - this.lastJoinSent < this.electionMs()) return;
    this.lastJoinSent = now;
    for (const l of this.transport.links()) {
      if (l.state !== 'down' && l.peer !== this.id) this.sendPayload(l.peer, { kind: 'join', node: this.id });
    }
  }

  // ---- status -------------------------------------------------------------------------------

  private members(): MemberStatus[] {
    const links = new Map(this.transport.links().map((l) => [l.peer, l]));
    const progress = !this.stopped && this.role === 'leader' ? (this.core.status().progress ?? {}) : {};
    const out: MemberStatus[] = [];
    const add = (id: NodeId, role: MemberRole): void => {
      if (out.some((m) => m.id === id)) return;
      const l = links.get(id);
      out.push({
        id,
        role,
        link: id === this.id ? 'self' : (l?.state ?? 'down'),
        rttMs: id === this.id ? 0 : (l?.rttMs ?? null),
        match: id === this.id ? this.applied : (progress[id]?.match ?? null),
        campaign: id === this.id ? this.campaign : (this.peerCampaign.get(id) ?? null),
      });
    };
    for (const id of this.confState.voters) add(id, 'voter');
    for (const id of this.confState.votersOutgoing) add(id, 'voter');
    for (const id of this.confState.learners) add(id, 'learner');
    return out;
  }

  private emitMembers(): void {
    if (!this.stopped) this.events.emit('members', this.members());
  }

  private emitStatus(): void {
    if (this.stopped || !this.events.has('status')) return;
    // Cheap change check first: the full status (members, links) is built only to be emitted.
    const c = (this.finalStatus = this.core.status());
    const key = `${c.role}|${c.term}|${c.lead}|${c.commit}|${this.applied}|${this.campaign}|${this.peerCampaignChanges}`;
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.events.emit('status', this.status());
  }
}
