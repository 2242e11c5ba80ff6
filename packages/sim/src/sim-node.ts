/**
 * @module sim-node
 * One simulated server: a RawNode driven by a host loop that follows the Ready contract exactly
 * (persist snapshot, entries and hard state; then send messages; then apply the snapshot and
 * committed entries; then advance). The "disk" is a MemoryStorage that survives crashes; the
 * RawNode, state machine and pending client requests are volatile and lost in a crash. A restart
 * builds a new RawNode from the disk alone and rebuilds the state machine from the snapshot plus
 * the committed log.
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
} from '@meshraft/core';
import { decodeText, encodeText } from './commands.js';
import { digestEntry, type SafetyChecker } from './invariants.js';
import { KvStateMachine, type ApplyOutcome } from './kv-state-machine.js';
import type { KvOutput } from './linearizability/kv-model.js';

/** Where in the Ready loop a crash strikes. */
export type CrashPoint = 'before-persist' | 'after-persist' | 'mid-send' | 'after-send' | 'mid-apply' | 'before-advance';
/**
 * Deliberate host bugs, each a test double the checks must catch:
 * - `lose-acked-entries`: a crash loses the entries of the last Ready though they were acknowledged.
 * - `forget-vote`: the vote is never persisted, so a restarted node can vote twice in a term.
 * - `stale-reads`: reads are served from the local state machine without ReadIndex.
 * - `no-dedup`: the state machine ignores its session table and executes retried commands again.
 */
export type SimBug = 'lose-acked-entries' | 'forget-vote' | 'stale-reads' | 'no-dedup';
export const SIM_BUGS: readonly SimBug[] = ['lose-acked-entries', 'forget-vote', 'stale-reads', 'no-dedup'];

export const CRASH_POINTS: readonly CrashPoint[] = [
  'before-persist',
  'after-persist',
  'mid-send',
  'after-send',
  'mid-apply',
  'before-advance',
];

/** Callbacks through which a node answers the clients waiting on it. */
export interface NodeEvents {
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
}

const LEADER_EARLY: ReadonlySet<string> = new Set(['app', 'heartbeat', 'snapshot']);

export class SimNode {
  readonly id: string;
  disk: MemoryStorage;
  raw: RawNode | null = null;
  sm: KvStateMachine;
  private appliedIndex = 0;
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

  constructor(
    private readonly cfg: SimNodeConfig,
    private readonly checker: SafetyChecker,
    private readonly events: NodeEvents,
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
    this.sm = new KvStateMachine(cfg.sessionTtl);
  }

  get alive(): boolean {
    return this.raw !== null;
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
    this.sm = new KvStateMachine(this.cfg.sessionTtl, this.cfg.bug !== 'no-dedup');
    this.sm.restore(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.confState = this.disk.initialState().confState;
    this.checker.observeCrash(this.id); // a new state machine: forget what the old one executed
    this.checker.observeRestore(this.id, this.appliedIndex);
    this.readsWaiting = [];
    this.readKeys.clear();
    this.asked.clear();
    this.lastRole = '';
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
    if (this.cfg.leaderSendsFirst && raw.status().role === Role.Leader) {
      for (const m of rd.messages) if (LEADER_EARLY.has(m.type)) this.events.send(this.id, m.to, m);
      later = rd.messages.filter((m) => !LEADER_EARLY.has(m.type));
    }
    if (crashAt === 'before-persist') return this.crashNow();

    this.persist(rd);
    if (crashAt === 'after-persist') return this.crashNow();

    const cutAt = crashAt === 'mid-send' ? Math.floor(later.length * sendCut) : -1;
    for (let i = 0; i < later.length; i++) {
      if (i === cutAt) return this.crashNow();
      const m = later[i]!;
      this.events.send(this.id, m.to, m);
    }
    if (crashAt === 'after-send') return this.crashNow();

    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      this.sm.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.confState = rd.snapshot.metadata.confState;
      this.checker.observeRestore(this.id, this.appliedIndex);
      this.snapshotsInstalled++;
    }
    const half = crashAt === 'mid-apply' ? Math.floor(rd.committedEntries.length / 2) : -1;
    for (let i = 0; i < rd.committedEntries.length; i++) {
      if (i === half) return this.crashNow();
      this.applyEntry(rd.committedEntries[i]!);
    }
    for (const rs of rd.readStates) {
      const id = decodeText(rs.context);
      const key = this.readKeys.get(id);
      if (key !== undefined) this.readsWaiting.push({ index: rs.index, id, key });
    }
    this.serveReads();
    if (crashAt === 'before-advance') return this.crashNow();
    raw.advance(rd);
    this.maybeSnapshot();
    return true;
  }

  private crashNow(): boolean {
    this.crash();
    return false;
  }

  private persist(rd: Ready): void {
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
    this.checker.observeRole(this.id, st.term, st.role === Role.Leader, disk);
    const role = String(st.role);
    if (role !== this.lastRole) {
      this.lastRole = role;
      this.events.onRole(this.id, role, st.term, st.lead);
    }
  }

  private applyEntry(e: Entry): void {
    // Out-of-order indices are reported by the checker (state machine safety).
    this.checker.observeApply(this.id, { index: e.index, term: e.term, digest: digestEntry(e.type, e.data) });
    this.appliedIndex = e.index;
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
    this.disk.createSnapshot(this.appliedIndex, this.confState, this.sm.snapshot());
    // The disk's configuration is the one as of its snapshot: a restart re-applies the conf
    // changes after it along with every other entry (as etcd's MemoryStorage does).
    this.disk.setConfState(this.confState);
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
