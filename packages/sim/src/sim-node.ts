/**
 * @module sim-node
 * One simulated server: a RawNode driven by a host loop that follows the Ready contract exactly
 * (persist snapshot, entries and hard state; then send messages; then apply the snapshot and
 * committed entries; then advance). The "disk" is a MemoryStorage that survives crashes; the
 * RawNode, state machine and pending client requests are volatile and lost in a crash. A restart
 * builds a new RawNode from the disk alone and rebuilds the state machine from the snapshot plus
 * the committed log.
 *
 * Two host modes. `classic` handles one Ready at a time, synchronously, as above. `pipelined`
 * follows the pipelined host rules (docs/core.md, "Pipelined hosts"): disk writes take simulated
 * ticks, further Readies are taken while writes are in flight and merged into the next write,
 * leader broadcasts go out and committed entries are applied at ready() time, everything else
 * waits for its write, and advance() runs in Ready order as writes complete. A crash loses every
 * write not yet completed.
 */
import {
  decodeConfChange,
  EntryType,
  MemoryStorage,
  RawNode,
  Role,
  isEmptySnapshot,
  seededRandom,
  type ConfState,
  type Entry,
  type Message,
  type Ready,
  type Status,
  canSendBeforePersist,
} from '@meshraft/core';
import { decodeText, encodeText } from './commands.js';
import { mergeReadies, needsWrite, type DiskWrite } from './disk-write.js';
import { digestEntry, type SafetyChecker } from './invariants.js';
import { SimKvStateMachine, type ApplyOutcome } from './kv-state-machine.js';
import type { KvOutput } from './linearizability/kv-model.js';
import { Xoshiro128 } from './random.js';

/**
 * Where in the Ready loop a crash strikes. In the pipelined host, `before-persist` and
 * `mid-apply` strike at ready() time, `after-persist`, `mid-send`, `after-send` and
 * `before-advance` when the Ready's write completes, and `write-in-flight` at the host's next
 * turn while the Ready's write (possibly merged with later ones) is still in flight.
 */
export type CrashPoint = 'before-persist' | 'after-persist' | 'mid-send' | 'after-send' | 'mid-apply' | 'before-advance' | 'write-in-flight';

/** How the host runs the Ready loop (see the module comment). */
export type HostMode = 'classic' | 'pipelined';
export const HOST_MODES: readonly HostMode[] = ['classic', 'pipelined'];
/**
 * Deliberate host bugs, each a test double the checks must catch:
 * - `lose-acked-entries`: a crash loses the entries of the last Ready though they were acknowledged.
 * - `forget-vote`: the vote is never persisted, so a restarted node can vote twice in a term.
 * - `stale-reads`: reads are served from the local state machine without ReadIndex.
 * - `no-dedup`: the state machine ignores its session table and executes retried commands again.
 * - `stale-conf-after-compact`: compaction leaves the disk's configuration where it was, as the
 *   durable storage backends did before issue 17's fix; a restart after it starts the core from
 *   an old configuration (caught with --snapshot-every, by the election-quorum invariant).
 */
export type ClassicBug = 'lose-acked-entries' | 'forget-vote' | 'stale-reads' | 'no-dedup' | 'stale-conf-after-compact';
export const SIM_BUGS: readonly ClassicBug[] = ['lose-acked-entries', 'forget-vote', 'stale-reads', 'no-dedup', 'stale-conf-after-compact'];
export type SimBug = ClassicBug | PipelinedBug;
/**
 * Deliberate bugs of the pipelined host (only with `host: 'pipelined'`):
 * - `ack-before-durable`: a follower sends its appResp at ready() time, before its write.
 * - `advance-before-durable`: advance(rd) is called at ready() time, before the Ready's write
 *   (breaks rule 1: a leader then counts its own copy of entries a crash can still lose).
 * - `compact-past-advanced`: the host snapshots and compacts at its state machine's applied
 *   index, which rule 4 lets run ahead of what advance() told the core; the core still reads
 *   the entries after its own applied index.
 * - `broadcast-before-term-durable`: a leader sends its broadcasts at ready() time even while
 *   its new term and vote are not durable (ignores rule 3's exception; only a single voter can
 *   lead that early: after a crash it wins the same term again with a different log).
 */
export type PipelinedBug = 'ack-before-durable' | 'advance-before-durable' | 'compact-past-advanced' | 'broadcast-before-term-durable';
export const PIPELINED_BUGS: readonly PipelinedBug[] = ['ack-before-durable', 'advance-before-durable', 'compact-past-advanced', 'broadcast-before-term-durable'];

export const CRASH_POINTS: readonly CrashPoint[] = [
  'before-persist',
  'after-persist',
  'mid-send',
  'after-send',
  'mid-apply',
  'before-advance',
];
export const PIPELINED_CRASH_POINTS: readonly CrashPoint[] = [...CRASH_POINTS, 'write-in-flight', 'write-in-flight'];

/** What the pipelined host did, summed over a node's incarnations (evidence the runs exercised it). */
export interface PipelineStats {
  /** Disk writes started, and how many of them merged two or more Readies that needed a write. */
  writes: number;
  mergedWrites: number;
  /** Merged writes in which a later Ready's entries replaced entries of an earlier one. */
  truncatingMerges: number;
  /** Most Readies taken but not yet advanced at once. */
  maxInFlightReadies: number;
  /** Crashes that lost at least one started or queued write, and the Readies those held. */
  crashesLosingWrites: number;
  readiesLost: number;
  /** Committed entries applied at ready() time while not yet durable in the local log. */
  appliedBeforeDurable: number;
  /** Leader broadcasts sent at ready() time, before the Ready's write. */
  earlySends: number;
  /** Readies handled after a drain (snapshot or committed conf change). */
  barriers: number;
  /** Readies whose entries overwrote entries of an earlier Ready still in flight (new leader). */
  overwritesInFlight: number;
}

export function emptyPipelineStats(): PipelineStats {
  return {
    writes: 0,
    mergedWrites: 0,
    truncatingMerges: 0,
    maxInFlightReadies: 0,
    crashesLosingWrites: 0,
    readiesLost: 0,
    appliedBeforeDurable: 0,
    earlySends: 0,
    barriers: 0,
    overwritesInFlight: 0,
  };
}

/** A Ready the pipelined host took and has not advanced yet. */
interface Taken {
  readonly rd: Ready;
  /** Handled only after a drain, in the classic order, when its own write completes. */
  readonly barrier: boolean;
  /** Messages that wait for this Ready's write (and every earlier one) to be durable. */
  readonly held: readonly Message[];
  readonly crashAt: CrashPoint | undefined;
  readonly sendCut: number;
  readonly takenAt: number;
  /** advance-before-durable (bug): already advanced at ready() time. */
  advanced: boolean;
}

/** Callbacks through which a node answers the clients waiting on it. */
export interface SimNodeEvents {
  send(from: string, to: string, message: Message): void;
  onApplied(node: string, outcome: ApplyOutcome, entry: Entry): void;
  onRead(node: string, readId: string, output: KvOutput): void;
  onRole(node: string, role: string, term: number, lead: string | null): void;
  onConfChange(node: string, conf: ConfState, index: number): void;
}

export interface SimNodeConfig {
  readonly id: string;
  /**
   * The founding voters, for every node including spares that join later: a disk starts with the
   * configuration as of index 0, and replaying the log's conf changes must start from it.
   */
  readonly voters: readonly string[];
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly sessionTtl: number;
  /** Snapshot and compact once this many entries were applied since the last snapshot (0: never). */
  readonly snapshotEvery: number;
  /** Bytes per InstallSnapshot chunk (small values exercise chunking). */
  readonly snapshotChunkSize: number;
  /** Max entry bytes per MsgApp (1: one entry per message) and max MsgApps in flight per follower. */
  readonly maxSizePerMsg?: number | undefined;
  readonly maxInflightMsgs?: number | undefined;
  /** PreVote and CheckQuorum (default on); scripted paper scenarios turn them off. */
  readonly preVote?: boolean | undefined;
  readonly checkQuorum?: boolean | undefined;
  /** A deliberately broken host (test double), to show the checks catch it. */
  readonly bug?: SimBug | undefined;
  /**
   * Use the leader's permission (core Ready rule 2, thesis §10.2.1) to send `app`, `heartbeat`
   * and `snapshot` messages before persisting, instead of the strict persist-then-send order.
   */
  readonly leaderSendsFirst?: boolean | undefined;
  /** The Ready loop (default classic). */
  readonly host?: HostMode | undefined;
  /** Pipelined host: a disk write takes 0..maxWriteTicks ticks, drawn from the seed (default 3). */
  readonly maxWriteTicks?: number | undefined;
}

export class SimNode {
  readonly id: string;
  disk: MemoryStorage;
  raw: RawNode | null = null;
  sm: SimKvStateMachine;
  private appliedIndex = 0;
  private appliedTerm = 0;
  /** Snapshots received from a leader and installed (all incarnations). */
  snapshotsInstalled = 0;
  private confState: ConfState;
  private readsWaiting: { index: number; id: string; key: string }[] = [];
  /** Read ids this incarnation started, with the key to read. */
  readonly readKeys = new Map<string, string>();
  /** Nonces and client:seq keys this incarnation was asked to propose (it answers only those). */
  readonly asked = new Set<string>();
  private lastRole = '';
  /** lose-acked-entries: the durable end of the log (what a crash rolls back to). */
  private durable: { last: number } | null = null;
  /** What the pipelined host did, over every incarnation. */
  readonly pipeline: PipelineStats = emptyPipelineStats();
  /** Pipelined host: Readies taken and not yet advanced, oldest first (volatile). */
  private lane: Taken[] = [];
  /** Pipelined host: the write in flight holds lane[0, count) and completes at tick doneAt. */
  private writing: { readonly count: number; readonly doneAt: number } | null = null;
  /** Pipelined host: how long each disk write takes (seeded per incarnation). */
  private writeRng = new Xoshiro128(0);
  private diskStalls = true;
  /** Why the last crash from inside the host loop happened (for traces). */
  crashReason = '';

  constructor(
    private readonly cfg: SimNodeConfig,
    private readonly checker: SafetyChecker,
    private readonly events: SimNodeEvents,
  ) {
    this.id = cfg.id;
    this.confState = {
      voters: [...cfg.voters],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    this.disk = new MemoryStorage({ confState: this.confState });
    this.sm = new SimKvStateMachine(cfg.sessionTtl);
  }

  get alive(): boolean {
    return this.raw !== null;
  }

  get pipelined(): boolean {
    return this.cfg.host === 'pipelined';
  }

  get applied(): number {
    return this.appliedIndex;
  }

  /** The configuration as of the applied index. */
  get conf(): ConfState {
    return this.confState;
  }

  /** Boots (or reboots) from the disk alone. */
  start(seed: number): void {
    if (this.cfg.bug === 'lose-acked-entries' && this.durable !== null) this.rollBackUnsynced();
    const snap = this.disk.snapshot();
    this.sm = new SimKvStateMachine(this.cfg.sessionTtl, this.cfg.bug !== 'no-dedup');
    this.sm.restore(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.appliedTerm = snap.metadata.term;
    this.confState = this.disk.initialState().confState;
    this.checker.observeCrash(this.id); // a new state machine: forget what the old one executed
    this.checker.observeRestore(this.id, this.appliedIndex);
    this.readsWaiting = [];
    this.readKeys.clear();
    this.asked.clear();
    this.lastRole = '';
    this.lane = [];
    this.writing = null;
    this.writeRng = new Xoshiro128(seed ^ 0x5bd1e995);
    this.raw = new RawNode({
      id: this.id,
      storage: this.disk,
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      random: seededRandom(seed),
      preVote: this.cfg.preVote ?? true,
      checkQuorum: this.cfg.checkQuorum ?? true,
      applied: this.appliedIndex,
      snapshotChunkSize: this.cfg.snapshotChunkSize,
      ...(this.cfg.maxSizePerMsg !== undefined && { maxSizePerMsg: this.cfg.maxSizePerMsg }),
      ...(this.cfg.maxInflightMsgs !== undefined && { maxInflightMsgs: this.cfg.maxInflightMsgs }),
    });
  }

  crash(): void {
    // Every write not yet completed is lost (a merged write all or nothing).
    const lost = this.lane.filter((t) => needsWrite(t.rd)).length;
    if (lost > 0) {
      this.pipeline.crashesLosingWrites++;
      this.pipeline.readiesLost += lost;
    }
    this.lane = [];
    this.writing = null;
    this.raw = null;
    this.checker.observeCrash(this.id);
  }

  status(): Status | null {
    return this.raw?.status() ?? null;
  }

  isLeader(): boolean {
    return this.raw?.status().role === Role.Leader;
  }

  /** Starts a linearizable read of `key`; the answer comes through events.onRead. */
  startRead(readId: string, key: string): void {
    if (this.cfg.bug === 'stale-reads') {
      this.events.onRead(this.id, readId, this.sm.read(key));
      return;
    }
    this.readKeys.set(readId, key);
    this.raw!.readIndex(encodeText(readId));
  }

  /**
   * Runs one Ready through the host loop. If `crashAt` is given the node crashes at that point
   * and the rest of the Ready is lost (what was persisted stays persisted). Returns false if it
   * crashed.
   */
  handleReady(crashAt?: CrashPoint, sendCut = 0.5): boolean {
    const raw = this.raw;
    if (raw === null || !raw.hasReady()) return true;
    const rd: Ready = raw.ready();
    let later = rd.messages;
    if (this.cfg.leaderSendsFirst) {
      const state = { leader: raw.status().role === Role.Leader, termOrVotePending: this.termOrVoteQueued(rd) };
      for (const m of rd.messages) if (canSendBeforePersist(m, state)) this.events.send(this.id, m.to, m);
      later = rd.messages.filter((m) => !canSendBeforePersist(m, state));
    }
    if (crashAt === 'before-persist') return this.crashNow();

    this.writeToDisk(rd);
    this.observeRoleNow();
    if (crashAt === 'after-persist') return this.crashNow();

    const cutAt = crashAt === 'mid-send' ? Math.floor(later.length * sendCut) : -1;
    for (let i = 0; i < later.length; i++) {
      if (i === cutAt) return this.crashNow();
      const m = later[i]!;
      this.events.send(this.id, m.to, m);
    }
    if (crashAt === 'after-send') return this.crashNow();

    if (!this.applyReady(rd, crashAt)) return false;
    if (crashAt === 'before-advance') return this.crashNow();
    raw.advance(rd);
    this.maybeSnapshot();
    return true;
  }

  /** Installs the Ready's snapshot, applies its committed entries and queues its reads. */
  private applyReady(rd: Ready, crashAt: CrashPoint | undefined): boolean {
    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      this.sm.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.appliedTerm = rd.snapshot.metadata.term;
      this.confState = rd.snapshot.metadata.confState;
      this.checker.observeRestore(this.id, this.appliedIndex);
      this.snapshotsInstalled++;
    }
    const half = crashAt === 'mid-apply' ? Math.floor(rd.committedEntries.length / 2) : -1;
    for (let i = 0; i < rd.committedEntries.length; i++) {
      if (i === half) return this.crashNow('mid-apply');
      const e = rd.committedEntries[i]!;
      if (this.pipelined && !this.locallyDurable(e)) this.pipeline.appliedBeforeDurable++;
      this.applyEntry(e);
    }
    for (const rs of rd.readStates) {
      const id = decodeText(rs.context);
      const key = this.readKeys.get(id);
      if (key !== undefined) this.readsWaiting.push({ index: rs.index, id, key });
    }
    this.serveReads();
    return true;
  }

  // ---- pipelined host ------------------------------------------------------------------------

  /**
   * Faults heal: cancels the crash points still waiting on Readies in flight and ends disk
   * stalls (a write slower than an election timeout breaks Raft's timing assumption, as a
   * partition does).
   */
  heal(): void {
    this.lane = this.lane.map((t) => ({ ...t, crashAt: undefined }));
    this.diskStalls = false;
  }

  /** Pipelined host: whether it may take another Ready now (never past a pending barrier). */
  canTakeReady(): boolean {
    return this.raw !== null && this.lane[this.lane.length - 1]?.barrier !== true && this.raw.hasReady();
  }

  /**
   * Pipelined host: takes one Ready while earlier ones may still be in flight (rules 1-5 of
   * docs/core.md, "Pipelined hosts"). A Ready with a snapshot or a committed conf change is a
   * barrier: it waits for every earlier write and is then handled in the classic order. Any
   * other Ready: a leader's broadcasts go out now unless a term or vote change is not yet
   * durable; its committed entries are applied now; everything else waits for its write.
   * Returns false if the node crashed.
   */
  takeReady(now: number, crashAt?: CrashPoint, sendCut = 0.5): boolean {
    const raw = this.raw!;
    const rd = raw.ready();
    const barrier = (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) || rd.committedEntries.some((e) => e.type === EntryType.ConfChange);
    let held: readonly Message[] = rd.messages;
    if (!barrier) {
      // The broken variant forgets the term/vote condition of the rule.
      const state = {
        leader: raw.status().role === Role.Leader,
        termOrVotePending: this.cfg.bug !== 'broadcast-before-term-durable' && this.termOrVoteQueued(rd),
      };
      const ackEarly = this.cfg.bug === 'ack-before-durable';
      const sendNow = (m: Message) => canSendBeforePersist(m, state) || (ackEarly && m.type === 'appResp');
      held = rd.messages.filter((m) => !sendNow(m));
      for (const m of rd.messages) {
        if (!sendNow(m)) continue;
        this.events.send(this.id, m.to, m);
        this.pipeline.earlySends++;
      }
    }
    const first = rd.entries[0];
    if (first !== undefined && this.lane.some((t) => (t.rd.entries[t.rd.entries.length - 1]?.index ?? 0) >= first.index)) this.pipeline.overwritesInFlight++;
    this.lane.push({ rd, barrier, held, crashAt, sendCut, takenAt: now, advanced: false });
    this.pipeline.maxInFlightReadies = Math.max(this.pipeline.maxInFlightReadies, this.lane.length);
    if (barrier) this.pipeline.barriers++;
    this.observeRoleNow();
    if (crashAt === 'before-persist') return this.crashNow('before-persist');
    if (!barrier) {
      // Rule 4: committed means a quorum holds the entries durably, so apply before our write.
      if (!this.applyReady(rd, crashAt)) return false;
      if (this.cfg.bug === 'advance-before-durable') {
        raw.advance(rd);
        this.lane[this.lane.length - 1]!.advanced = true;
      }
    }
    return this.pump(now);
  }

  /**
   * Pipelined host: at tick `now`, completes the write in flight if it is due and starts the
   * next (merging every queued Ready up to a barrier), repeatedly. Returns false if the node
   * crashed (a `write-in-flight` crash point strikes here, on a later turn than its Ready).
   */
  pump(now: number): boolean {
    for (;;) {
      if (this.raw === null) return false;
      if (this.lane.some((t) => t.crashAt === 'write-in-flight' && t.takenAt < now)) return this.crashNow('with writes in flight');
      if (this.writing === null && !this.startWrite(now)) return true;
      if (now < this.writing!.doneAt) return true;
      if (!this.completeWrite()) return false;
    }
  }

  private startWrite(now: number): boolean {
    const first = this.lane[0];
    if (first === undefined) return false;
    let count = first.barrier ? 1 : this.lane.findIndex((t) => t.barrier);
    if (count < 0) count = this.lane.length;
    const writes = this.lane.slice(0, count).filter((t) => needsWrite(t.rd)).length;
    this.writing = { count, doneAt: writes > 0 ? now + this.writeTicks() : now };
    if (writes > 0) this.pipeline.writes++;
    if (writes > 1) this.pipeline.mergedWrites++;
    return true;
  }

  /** 0..max ticks; one write in 20 is a stall of up to 4*max more (a busy or throttled disk). */
  private writeTicks(): number {
    const max = this.cfg.maxWriteTicks ?? 3;
    const r = this.writeRng;
    return r.int(max + 1) + (this.diskStalls && r.chance(0.05) ? r.int(4 * max + 1) : 0);
  }

  /** The write in flight is durable: send what waited for it, then advance in Ready order. */
  private completeWrite(): boolean {
    const raw = this.raw!;
    const items = this.lane.splice(0, this.writing!.count);
    this.writing = null;
    const readies = items.filter((t) => needsWrite(t.rd)).map((t) => t.rd);
    if (readies.length > 0) {
      const w = mergeReadies(readies);
      if (w.truncated) this.pipeline.truncatingMerges++;
      this.writeToDisk(w);
      this.observeRoleNow();
    }
    if (items.some((t) => t.crashAt === 'after-persist')) return this.crashNow('after-persist');
    for (const t of items) {
      const cutAt = t.crashAt === 'mid-send' ? Math.floor(t.held.length * t.sendCut) : -1;
      for (let i = 0; i < t.held.length; i++) {
        if (i === cutAt) return this.crashNow('mid-send');
        const m = t.held[i]!;
        this.events.send(this.id, m.to, m);
      }
      if (t.crashAt === 'after-send') return this.crashNow('after-send');
      if (t.barrier && !this.applyReady(t.rd, t.crashAt)) return false;
      if (t.crashAt === 'before-advance') return this.crashNow('before-advance');
      if (!t.advanced) raw.advance(t.rd);
    }
    this.maybeSnapshot();
    return true;
  }

  /** Rule 3: whether the newest queued (or this Ready's) term or vote is not yet on disk. */
  private termOrVoteQueued(rd: Ready): boolean {
    let hs = rd.hardState;
    for (let i = this.lane.length - 1; hs === undefined && i >= 0; i--) hs = this.lane[i]!.rd.hardState;
    if (hs === undefined) return false;
    const d = this.disk.initialState().hardState;
    return hs.term !== d.term || hs.vote !== d.vote;
  }

  /** Whether `e` is already in the local durable log (or compacted into its snapshot). */
  private locallyDurable(e: Entry): boolean {
    const d = this.disk;
    if (e.index < d.firstIndex() - 1) return true;
    return e.index <= d.lastIndex() && d.term(e.index) === e.term;
  }

  private crashNow(reason = ''): boolean {
    this.crashReason = reason;
    this.crash();
    return false;
  }

  /** Writes to the disk at once and reports what was written to the checker. */
  private writeToDisk(rd: DiskWrite): void {
    const disk = this.disk;
    // lose-acked-entries: the previous Ready is now durable; this one will not be until the next.
    if (this.cfg.bug === 'lose-acked-entries') this.durable = null;
    let snapIndex: number | null = null;
    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      disk.applySnapshot(rd.snapshot);
      snapIndex = rd.snapshot.metadata.index;
    }
    let prevTerm = 0;
    const first = rd.entries[0];
    if (first !== undefined) {
      const before = first.index - 1;
      // The entry before the batch is still in the log (or is the snapshot's index).
      prevTerm = before >= disk.firstIndex() - 1 && before <= disk.lastIndex() ? disk.term(before) : -1;
      if (this.cfg.bug === 'lose-acked-entries') this.noteUnsynced(first.index - 1);
      disk.append(rd.entries);
    }
    if (rd.hardState !== undefined) {
      disk.setHardState(this.cfg.bug === 'forget-vote' ? { ...rd.hardState, vote: null } : rd.hardState);
      this.checker.observeHardState(this.id, rd.hardState.term, rd.hardState.vote);
    }
    const st = this.raw!.status();
    this.checker.observePersist(
      this.id,
      rd.entries.map((e) => ({ index: e.index, term: e.term, digest: digestEntry(e.type, e.data) })),
      prevTerm,
      snapIndex,
      { term: st.term, isLeader: st.role === Role.Leader },
    );
  }

  /**
   * Reports the node's role to the checker and the cluster. Leader Completeness is checked
   * against the log the node holds: in the pipelined host that includes entries whose write is
   * still in flight (a leader needs them in its log, not yet on its disk).
   */
  private observeRoleNow(): void {
    const st = this.raw!.status();
    const log = this.raw!.raft.log;
    this.checker.observeRole(this.id, st.term, st.role === Role.Leader, this.disk, this.pipelined ? log : this.disk);
    const role = String(st.role);
    if (role !== this.lastRole) {
      this.lastRole = role;
      this.events.onRole(this.id, role, st.term, st.lead);
    }
  }

  private applyEntry(e: Entry): void {
    // Out-of-order indices are reported by the checker (state machine safety).
    this.checker.observeApply(this.id, { index: e.index, term: e.term, digest: digestEntry(e.type, e.data), appliedInTerm: this.raw?.status().term });
    this.appliedIndex = e.index;
    this.appliedTerm = e.term;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.confState = this.raw!.applyConfChange(cc);
      this.events.onConfChange(this.id, this.confState, e.index);
      this.events.onApplied(this.id, { kind: 'noop' }, e);
      return;
    }
    const outcome = this.sm.apply(e.index, e.data);
    if (outcome.kind === 'kv' && (outcome.decision === 'apply' || outcome.decision === 'duplicate')) {
      this.checker.observeExecution(this.id, `${outcome.client}:${outcome.seq}`, outcome.decision, JSON.stringify(outcome.output));
    }
    this.events.onApplied(this.id, outcome, e);
  }

  private serveReads(): void {
    const still: typeof this.readsWaiting = [];
    for (const r of this.readsWaiting) {
      if (r.index <= this.appliedIndex) {
        this.readKeys.delete(r.id);
        this.events.onRead(this.id, r.id, this.sm.read(r.key));
      } else still.push(r);
    }
    this.readsWaiting = still;
  }

  private maybeSnapshot(): void {
    const every = this.cfg.snapshotEvery;
    if (every <= 0) return;
    const snapIndex = this.disk.snapshot().metadata.index;
    if (this.appliedIndex - snapIndex < every) return;
    // Pipelined host: what was applied may not be on this disk yet (the disk may even hold an
    // older entry there), and MemoryStorage takes the snapshot's term from its log: snapshot
    // only an applied index that is on disk. The disk's commit index may still lag it (the
    // core takes a snapshot as committed on restart).
    const d = this.disk;
    if (this.appliedIndex > d.lastIndex() || d.term(this.appliedIndex) !== this.appliedTerm) return;
    // Nor past what the core knows is applied (advance()d): it still reads the entries after
    // that (e.g. looking for unapplied conf changes before campaigning), as etcd's does.
    if (this.cfg.bug !== 'compact-past-advanced' && this.appliedIndex > this.raw!.raft.log.applied) return;
    this.disk.createSnapshot(this.appliedIndex, this.confState, this.sm.snapshot());
    // The disk's configuration is the one as of its snapshot: a restart re-applies the conf
    // changes after it along with every other entry (as etcd's MemoryStorage does).
    if (this.cfg.bug !== 'stale-conf-after-compact') this.disk.setConfState(this.confState);
    // Keep a tail of entries so slightly lagging followers catch up without a snapshot.
    const keepFrom = this.appliedIndex - Math.floor(every / 2);
    if (keepFrom > this.disk.firstIndex()) this.disk.compact(keepFrom);
  }

  private noteUnsynced(last: number): void {
    if (this.durable === null) {
      this.durable = { last };
    }
  }

  /** lose-acked-entries: a crash loses what the last Ready wrote, though it was already acknowledged. */
  private rollBackUnsynced(): void {
    const d = this.durable!;
    this.durable = null;
    const old = this.disk;
    const last = Math.min(d.last, old.lastIndex());
    // The vote and term survive (so the checks do not trip on vote safety alone); the log tail
    // the node already acknowledged does not, and the commit index cannot point past the log.
    const hs = old.initialState().hardState;
    const snap = old.snapshot();
    const fresh = new MemoryStorage({
      hardState: { ...hs, commit: Math.max(Math.min(hs.commit, last), snap.metadata.index) },
      confState: old.initialState().confState,
      ...(!isEmptySnapshot(snap) && { snapshot: snap }),
    });
    if (last >= old.firstIndex()) fresh.append(old.entries(old.firstIndex(), last + 1));
    this.disk = fresh;
  }

}
