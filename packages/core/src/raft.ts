/**
 * @module raft
 * The Raft state machine (etcd's raft.go): term, vote, log, tracker and the role currently in
 * charge. Pure and synchronous: input is step()/tick(), output accumulates in `msgs` and
 * `readStates` until RawNode hands it out in a Ready. Role-specific behaviour lives in roles.ts;
 * this module holds the shared state and the handlers the roles call.
 */
import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js';
import { changeConfig, decodeConfChange, encodeConfChange, InvalidConfChangeError, type ConfChange } from './conf-change.js';
import { CompactedError } from './errors.js';
import type { AppendMessage, HeartbeatMessage, Message, ReadIndexRequest, SnapshotMessage } from './messages.js';
import { ProgressState } from './progress.js';
import { VoteResult } from './quorum.js';
import { entriesSize, RaftLog } from './raft-log.js';
import { InvalidArgumentError, LogCorruptionError, ProposalDroppedError } from './raft-errors.js';
import { ReadOnly, type ReadState } from './read-only.js';
import { SnapshotReceiver, SnapshotSender } from './snapshot-transfer.js';
import { Role, roleBehavior, type RoleBehavior, type RoleHost } from './roles.js';
import { configFromConfState, ProgressTracker, type TrackerConfig } from './tracker.js';
import { EntryType, type ConfState, type Entry, type NodeId, type Snapshot } from './types.js';

export type { ReadState } from './read-only.js';

export class Raft implements RoleHost {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;

  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  behavior: RoleBehavior;
  isLearner = false;
  /**
   * False: this node never starts an election by itself (timeout or TimeoutNow) but keeps its
   * election clock and votes (RawNode.setCampaign; a hidden browser tab).
   */
  campaignEnabled = true;

  msgs: Message[] = [];
  readStates: ReadState[] = [];

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;

  /** Leader: node leadership is being handed to, or null. */
  leadTransferee: NodeId | null = null;
  /** Leader: index of the last conf change proposed; no new one until it is applied. */
  pendingConfIndex = 0;
  /** Leader: new entries or commit to broadcast at the next flush (batches proposals). */
  needBcast = false;
  readOnly = new ReadOnly();
  /** Leader: ReadIndex requests held until an entry of this term commits. */
  pendingReadIndex: ReadIndexRequest[] = [];
  outgoingSnapshots = new Map<NodeId, SnapshotSender>();
  heartbeatRound = 0;
  incomingSnapshot: SnapshotReceiver | null = null;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage, this.cfg.maxCommittedSizePerReady);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.applyTrackerConfig(configFromConfState(confState));
    if (hardState.term !== 0 || hardState.vote !== null || hardState.commit !== 0) {
      if (hardState.commit > this.log.lastIndex()) {
        throw new LogCorruptionError(`hard state commit ${hardState.commit} is past the last index ${this.log.lastIndex()}`);
      }
      // A snapshot is committed by definition, even if the hard state was saved before it (a
      // pipelined host applies committed entries before their commit index is on its disk, and
      // may snapshot them). Its index, not firstIndex - 1: the storage may keep a tail below it.
      const snapIndex = this.cfg.storage.snapshot().metadata.index;
      this.log.committed = Math.max(hardState.commit, this.log.committed, Math.min(snapIndex, this.log.lastIndex()));
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (this.cfg.applied > 0) {
      if (this.cfg.applied > this.log.committed) {
        throw new LogCorruptionError(`applied ${this.cfg.applied} is past commit ${this.log.committed}`);
      }
      this.log.appliedTo(this.cfg.applied, 0);
    }
    this.behavior = roleBehavior(Role.Follower);
    this.becomeFollower(this.term, null);
  }

  get role(): Role {
    return this.behavior.role;
  }

  // ---- role transitions -------------------------------------------------------------------

  /**
   * The one path of every role change: leave the old role, set up the shared state for the
   * new one (`prepare`), then enter it.
   */
  private switchRole(next: Role, prepare: () => void): void {
    this.behavior.exit(this);
    prepare();
    this.behavior = roleBehavior(next);
    this.behavior.enter(this);
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.switchRole(Role.Follower, () => {
      this.reset(term);
      this.lead = lead;
    });
  }

  becomePreCandidate(): void {
    // PreVote does not touch term or vote, and keeps the election clock running.
    this.switchRole(Role.PreCandidate, () => {
      this.trk.resetVotes();
      this.lead = null;
    });
  }

  becomeCandidate(): void {
    this.switchRole(Role.Candidate, () => {
      this.reset(this.term + 1);
      this.vote = this.id;
    });
  }

  becomeLeader(): void {
    this.switchRole(Role.Leader, () => {
      this.reset(this.term);
      this.lead = this.id;
    });
  }

  /** Shared by every transition that starts a new term or role. */
  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = null;
    this.trk.resetVotes();
    const next = this.log.lastIndex() + 1;
    const persisted = this.log.persistedIndex();
    for (const [id, pr] of this.trk.progress) {
      pr.match = 0;
      pr.next = next;
      pr.sentCommit = 0;
      pr.state = ProgressState.Probe;
      pr.pendingSnapshot = 0;
      pr.msgAppFlowPaused = false;
      pr.recentActive = false;
      pr.inflights.reset();
      if (id === this.id) pr.match = persisted;
    }
    this.pendingConfIndex = 0;
    this.needBcast = false;
    this.readOnly = new ReadOnly();
    this.pendingReadIndex = [];
    this.outgoingSnapshots.clear();
    this.incomingSnapshot = null;
  }

  resetRandomizedElectionTimeout(): void {
    const e = this.cfg.electionTick;
    this.randomizedElectionTimeout = e + Math.floor(this.cfg.random() * e);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Can this node become leader? (a voter, not waiting to install a snapshot) */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  // ---- input --------------------------------------------------------------------------------

  tick(): void {
    this.behavior.tick(this);
  }

  /** Processes one message. Term handling is shared (Figure 2, "all servers"); the rest is per role. */
  step(m: Message): void {
    if (m.term === 0) {
      // Forwarded proposals and reads are not part of the term protocol.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // A node that heard from a leader within the election timeout ignores (pre)votes, so
        // a partitioned node rejoining cannot depose a healthy leader (thesis §4.2.3).
        const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsed < this.cfg.electionTick;
        if (!m.transfer && inLease) return;
        // A node outside our configuration whose log is not ahead of ours cannot get our vote,
        // so its higher term could only disrupt: it is a removed node (its log lacks the entry
        // that removed it). One whose log IS ahead may be a voter added while we lagged, and
        // must be heard, or an election needing our vote could never succeed.
        if (!this.knowsVoter(m.from) && !this.log.isUpToDate(m.index, m.logTerm)) return;
      }
      if (m.type === 'preVote') {
        // PreVote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // Our term rises when the PreVote quorum is reached.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (e.g. after a partition) learns the new term from this and steps down;
        // without it, PreVote/CheckQuorum could leave it stuck (etcd issue 5451).
        this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    this.behavior.step(this, m);
  }

  /** Whether `id` is a voter as far as this node knows (a node with no config yet trusts all). */
  private knowsVoter(id: NodeId): boolean {
    return this.trk.config.voters.incoming.size === 0 || this.trk.isVoter(id);
  }

  private handleVoteRequest(m: Message & { type: 'vote' | 'preVote' }): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // The response carries the candidate's term so it is not ignored as stale (§5.2).
      this.send({ type: m.type === 'vote' ? 'voteResp' : 'preVoteResp', from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: m.type === 'vote' ? 'voteResp' : 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  // ---- elections ----------------------------------------------------------------------------

  /** Starts an election if allowed (timeout fired, TimeoutNow, or RawNode.campaign). */
  hup(transfer: boolean): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(this.cfg.preVote && !transfer ? 'pre' : 'real', transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const ents = this.log.slice(this.log.applied + 1, this.log.committed + 1);
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  campaign(kind: 'pre' | 'real', transfer: boolean): void {
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // Only possible in a one-voter cluster.
      if (kind === 'pre') this.campaign('real', transfer);
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of this.trk.config.voters.ids()) {
      if (id === this.id) continue;
      this.send({ type: kind === 'pre' ? 'preVote' : 'vote', from: this.id, to: id, term, index, logTerm, transfer });
    }
  }

  poll(id: NodeId, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.voteResult();
  }

  // ---- leader: replication -----------------------------------------------------------------

  /** Leader: appends entries of the current term; followers get them at the next flush. */
  appendEntries(ents: readonly { readonly type: EntryType; readonly data: Uint8Array }[]): void {
    let index = this.log.lastIndex();
    const out: Entry[] = new Array<Entry>(ents.length);
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      out[i] = { term: this.term, index: ++index, type: e.type, data: e.data };
    }
    this.log.append(out);
    // The leader acknowledges its own entries only once they are persisted (advance), per
    // thesis §10.2.1: it may send them to followers in parallel with its own write.
    this.needBcast = true;
  }

  /** Leader: the host persisted the log up to `index`. */
  selfAck(index: number): void {
    const pr = this.trk.progress.get(this.id);
    if (pr === undefined) return;
    if (pr.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced();
  }

  maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  onCommitAdvanced(): void {
    this.needBcast = true;
    this.releasePendingReadIndex();
  }

  /** Sends everything owed to followers: new entries, or an empty MsgApp carrying a new commit. */
  flush(): void {
    if (!this.needBcast) return;
    this.needBcast = false;
    if (this.role !== Role.Leader) return;
    for (const id of this.trk.progress.keys()) {
      if (id !== this.id) this.sendAppendAll(id);
    }
  }

  /** Sends as many MsgApps to `to` as flow control allows (one even if empty, to carry commit). */
  sendAppendAll(to: NodeId): void {
    const pr = this.trk.progress.get(to);
    if (pr === undefined) return;
    let sendIfEmpty = pr.canBumpCommit(this.log.committed);
    while (this.maybeSendAppend(to, sendIfEmpty)) sendIfEmpty = false;
  }

  /**
   * Sends one MsgApp to `to` if flow control allows and there is something to send (or
   * `sendIfEmpty`). Falls back to a snapshot when the needed entries were compacted.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.termOrNone(prevIndex);
    if (prevTerm < 0) return this.sendSnapshot(to);
    let entries: Entry[];
    try {
      entries = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (err) {
      if (err instanceof CompactedError) return this.sendSnapshot(to);
      throw err;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const commit = this.log.committed;
    const m: AppendMessage = { type: 'app', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit };
    this.send(m);
    const n = entries.length;
    pr.sentEntries(n, n > 0 ? entries[n - 1]!.index : prevIndex, n > 0 ? entriesSize(entries) : 0);
    if (commit > pr.sentCommit) pr.sentCommit = commit;
    return true;
  }

  bcastHeartbeat(context: Uint8Array | null): void {
    this.heartbeatRound++;
    for (const [id, pr] of this.trk.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      const m: HeartbeatMessage = { type: 'heartbeat', from: this.id, to: id, term: this.term, commit, context };
      this.send(m);
    }
  }

  // ---- leader: snapshots --------------------------------------------------------------------

  private sendSnapshot(to: NodeId): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined) return false;
    // Don't stream a snapshot to a node that may be down; heartbeats will revive it.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    if (snapshot.metadata.index === 0) {
      throw new LogCorruptionError(`log is compacted below ${pr.next} but storage has no snapshot`);
    }
    pr.becomeSnapshot(snapshot.metadata.index);
    const out = new SnapshotSender(snapshot, this.cfg.snapshotChunkSize, this.cfg.snapshotChunksInFlight, this.heartbeatRound);
    this.outgoingSnapshots.set(to, out);
    this.sendSnapshotChunks(to, out);
    return true;
  }

  sendSnapshotChunks(to: NodeId, out: SnapshotSender): void {
    const { metadata, data } = out.snapshot;
    for (const c of out.take(this.heartbeatRound)) {
      const m: SnapshotMessage = { type: 'snapshot', from: this.id, to, term: this.term, metadata, offset: c.offset, totalSize: data.length, data: c.data, done: c.done };
      this.send(m);
    }
  }

  /** Leader: a follower in snapshot state answered a heartbeat; resend if chunks seem lost. */
  maybeResendSnapshotChunk(to: NodeId): void {
    const out = this.outgoingSnapshots.get(to);
    if (out !== undefined && out.rewindIfSilent(this.heartbeatRound)) this.sendSnapshotChunks(to, out);
  }

  /** Leader: the follower gave up on the snapshot (or it failed): probe again. */
  abortSnapshot(to: NodeId): void {
    const pr = this.trk.progress.get(to);
    this.outgoingSnapshots.delete(to);
    if (pr !== undefined && pr.state === ProgressState.Snapshot) {
      pr.pendingSnapshot = 0;
      pr.becomeProbe();
    }
  }

  // ---- follower: handling leader messages ------------------------------------------------

  handleAppendEntries(m: AppendMessage): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: lastNew, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    // Reject with a hint: the last index (<= m.index) whose term is <= m.logTerm. The leader
    // can then skip every entry of a conflicting term in one round trip (§5.3, "optimization").
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
  }

  handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  handleSnapshotChunk(m: SnapshotMessage): void {
    const meta = m.metadata;
    let inc = this.incomingSnapshot;
    if (inc !== null && !inc.matches(m.from, this.term, meta)) inc = null;
    if (inc === null) {
      // Nothing to install if we already have (and committed, or hold) the snapshot's last entry:
      // keep our log and just move commit forward (thesis §5.x: keep entries after the snapshot).
      if (meta.index <= this.log.committed) {
        this.incomingSnapshot = null;
        this.sendAppResp(m.from, this.log.committed);
        return;
      }
      if (this.log.matchTerm(meta.index, meta.term)) {
        this.incomingSnapshot = null;
        this.log.commitTo(meta.index);
        this.sendAppResp(m.from, this.log.committed);
        return;
      }
      // Not checking that we are in the snapshot's ConfState: a node added after the snapshot
      // was taken installs it and learns of its own addition from the entries that follow.
      if (m.offset !== 0) {
        // We lost (or never had) the beginning: ask for it again.
        this.sendSnapshotResp(m.from, meta.index, 0);
        return;
      }
      inc = new SnapshotReceiver(m.from, this.term, meta, m.totalSize);
      this.incomingSnapshot = inc;
    }
    const snapshot = inc.accept(m.offset, m.data, m.done);
    this.sendSnapshotResp(m.from, meta.index, inc.received);
    if (snapshot === null) return;
    this.incomingSnapshot = null;
    if (this.restore(snapshot)) this.sendAppResp(m.from, this.log.lastIndex());
    else this.sendAppResp(m.from, this.log.committed);
  }

  private sendSnapshotResp(to: NodeId, index: number, offset: number): void {
    this.send({ type: 'snapshotResp', from: this.id, to, term: this.term, index, offset, reject: false });
  }

  private sendAppResp(to: NodeId, index: number): void {
    this.send({ type: 'appResp', from: this.id, to, term: this.term, index, reject: false, rejectHint: 0, logTerm: 0 });
  }

  /** Installs a complete snapshot as the new log base (§7). Returns false if it is not needed. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.role !== Role.Follower) {
      this.becomeFollower(this.term + 1, null);
      return false;
    }
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.trk.progress = new Map();
    this.applyTrackerConfig(configFromConfState(s.metadata.confState));
    return true;
  }

  /** Installs a configuration; shared by startup, snapshot restore and applied conf changes. */
  applyTrackerConfig(config: TrackerConfig): void {
    this.trk.applyConfig(config, this.log.lastIndex() + 1);
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
  }

  // ---- reads ------------------------------------------------------------------------------

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOrNone(this.log.committed) === this.term;
  }

  /** Leader: starts (or answers) a ReadIndex request (thesis §6.4). */
  handleReadIndex(m: ReadIndexRequest): void {
    // Until an entry of its term commits, the leader's commit index may be behind the
    // cluster's (§6.4 step 1): hold the request. A single voter too: the commit index is
    // volatile (a pipelined host applies, and answers, before the commit index it saved is
    // durable), so a restarted single voter may start below what clients already saw.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndex.push(m);
      return;
    }
    if (this.trk.isSoleVoter(this.id)) {
      this.answerRead(m.from, m.context, this.log.committed);
      return;
    }
    const round = this.readOnly.addRequest(this.log.committed, m.from, m.context);
    if (round === null) return;
    this.readOnly.recvAck(this.id, round);
    this.bcastHeartbeat(round);
  }

  answerRead(from: NodeId, context: Uint8Array, index: number): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, index, context });
  }

  releasePendingReadIndex(): void {
    if (this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const m of pending) this.handleReadIndex(m);
  }

  /** Leader: a heartbeat ack for a ReadIndex round; serves the reads a quorum confirmed. */
  handleReadAck(from: NodeId, round: Uint8Array | null): void {
    if (round === null) return;
    const acks = this.readOnly.recvAck(from, round);
    if (acks === undefined) return;
    if (this.trk.config.voters.voteResult((id) => (acks.has(id) ? true : undefined)) !== VoteResult.Won) return;
    for (const rs of this.readOnly.advance(round)) this.answerRead(rs.from, rs.context, rs.index);
  }

  // ---- leadership transfer --------------------------------------------------------------

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = null;
  }

  /** Leader: start handing leadership to `to` (thesis §3.10). */
  handleTransferLeader(to: NodeId): void {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isLearner) return;
    if (this.leadTransferee !== null) {
      if (this.leadTransferee === to) return;
      this.abortLeaderTransfer();
    }
    if (to === this.id) return;
    // The transfer must finish within an election timeout, or it is aborted (tick).
    this.electionElapsed = 0;
    this.leadTransferee = to;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.maybeSendAppend(to, true);
  }

  // ---- proposals ------------------------------------------------------------------------

  /** Leader: accept a proposal (local or forwarded). Throws ProposalDroppedError. */
  leaderPropose(entries: readonly Entry[]): void {
    if (entries.length === 0) throw new InvalidArgumentError('proposal has no entries');
    for (const e of entries) this.checkProposal(e.type, e.data);
    this.appendEntries(entries);
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) this.pendingConfIndex = this.log.lastIndex();
    }
  }

  /** Leader: leaderPropose for one local entry, allocating only the entry itself. */
  leaderProposeOne(type: EntryType, data: Uint8Array): void {
    this.checkProposal(type, data);
    const index = this.log.lastIndex() + 1;
    this.log.appendOne({ term: this.term, index, type, data });
    if (type === EntryType.ConfChange) this.pendingConfIndex = index;
    this.needBcast = true;
  }

  /** The one guard both propose paths share: may this leader take this entry now? */
  private checkProposal(type: EntryType, data: Uint8Array): void {
    if (this.leadTransferee !== null) {
      throw new ProposalDroppedError(this.id, `leadership is being transferred to ${this.leadTransferee}`);
    }
    if (!this.trk.isVoter(this.id)) throw new ProposalDroppedError(null, 'this node was removed from the cluster');
    if (type === EntryType.ConfChange) this.checkConfChangeProposal(decodeConfChange(data));
  }

  /**
   * A leader proposes a conf change only after committing an entry of its term (so it knows
   * the latest configuration, thesis §4.1 bug fix) and when no other change is unapplied; the
   * change must also fit the current configuration.
   */
  private checkConfChangeProposal(cc: ConfChange): void {
    if (!this.committedEntryInCurrentTerm()) {
      throw new ProposalDroppedError(this.id, 'the leader has not committed an entry of its term yet');
    }
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError(this.id, `conf change at index ${this.pendingConfIndex} is not applied yet`);
    }
    try {
      changeConfig(this.trk.config, cc);
    } catch (err) {
      if (err instanceof InvalidConfChangeError) throw new ProposalDroppedError(this.id, err.message);
      throw err;
    }
  }

  /**
   * Applies a committed conf change (the host calls this when it applies the entry). A change
   * that does not fit the current configuration is ignored on every node alike (the leader
   * refuses such proposals, so this only guards against a buggy host).
   */
  applyConfChange(cc: ConfChange): ConfState {
    let next: TrackerConfig;
    try {
      next = changeConfig(this.trk.config, cc);
    } catch (err) {
      if (err instanceof InvalidConfChangeError) return this.trk.confState();
      throw err;
    }
    this.applyTrackerConfig(next);
    if (this.role === Role.Leader) this.afterLeaderConfigChange();
    return this.trk.confState();
  }

  private afterLeaderConfigChange(): void {
    if (!this.trk.isVoter(this.id)) {
      // Removed (or demoted), thesis §4.2.2. Stepping down at once can deadlock the cluster:
      // followers switch configuration only when they learn the change committed, and this node
      // may hold the longest log, so if that one commit broadcast is lost nobody can win an
      // election in the (still joint) configuration they see. So stay leader, not counted in any
      // quorum and taking no proposals, and hand leadership to an up-to-date voter of the new
      // configuration; its campaign's higher term makes this node a follower.
      if (this.maybeCommit()) this.onCommitAdvanced();
      this.needBcast = true;
      this.handOffAfterRemoval();
      return;
    }
    // The quorum changed: commit may advance, and new members need the log.
    if (this.maybeCommit()) this.onCommitAdvanced();
    this.needBcast = true;
    if (this.leadTransferee !== null && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
  }

  /** A removed leader: transfer leadership to the voter with the longest matching log. */
  handOffAfterRemoval(): void {
    if (this.leadTransferee !== null && this.trk.isVoter(this.leadTransferee)) return;
    this.abortLeaderTransfer();
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const id of this.trk.config.voters.incoming.ids) {
      const pr = this.trk.progress.get(id);
      if (pr !== undefined && pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best !== null) this.handleTransferLeader(best);
  }

  /** The host applied up to `applied`: a leader in an auto-leave joint config leaves it now. */
  onApplied(): void {
    if (this.role !== Role.Leader) return;
    const c = this.trk.config;
    if (!c.autoLeave || c.voters.outgoing.size === 0 || this.log.applied < this.pendingConfIndex) return;
    this.appendEntries([{ type: EntryType.ConfChange, data: encodeConfChange({ changes: [] }) }]);
    this.pendingConfIndex = this.log.lastIndex();
  }

  /** Reads the queued output (flushing batched broadcasts first). */
  takeMessages(): Message[] {
    this.flush();
    const m = this.msgs;
    this.msgs = [];
    return m;
  }
}
