/**
 * @module raw-node
 * RawNode: the host-facing, synchronous API of the Raft core (etcd's rawnode.go). The host
 * drives it with tick()/step()/propose(), collects output with ready(), does the I/O the Ready
 * asks for, and then calls advance(). See `Ready` for the ordering rules.
 */
import type { RaftConfig } from './config.js';
import { entriesSize } from './raft-log.js';
import { isMessage, type Message } from './messages.js';
import { ProgressState } from './progress.js';
import { Raft, type ReadState } from './raft.js';
import { InvalidArgumentError, ProposalDroppedError, ReadIndexDroppedError } from './raft-errors.js';
import { Role } from './roles.js';
import { encodeConfChange, validateConfChange, type ConfChange } from './conf-change.js';
import { EntryType, type ConfState, type Entry, type HardState, type NodeId, type Snapshot } from './types.js';

export interface SoftState {
  readonly lead: NodeId | null;
  readonly role: Role;
}

/**
 * One batch of work for the host. Handle a Ready in this order, then call advance(rd):
 *
 * 1. Persist `snapshot` (if any), then append `entries` (truncating any conflicting suffix), then
 *    persist `hardState` (if any). If `mustSync`, make these durable (fsync / committed IndexedDB
 *    transaction) before step 2.
 * 2. Send `messages`. A message may depend on step 1 being durable: a vote request or response
 *    promises the vote is persisted, an appResp promises the entries are. Exception (thesis
 *    §10.2.1): `app`, `heartbeat` and `snapshot` messages (only leaders send them) may be sent
 *    before or in parallel with step 1 (see canSendBeforePersist), because a leader counts its
 *    own copy toward commitment only after advance() reports it persisted, and its term and vote
 *    were made durable before it could win. All other messages wait for step 1.
 * 3. Apply `committedEntries` to the state machine (after step 1: they may include entries of
 *    this same Ready) and install `snapshot` into the state machine if present.
 * 4. Serve each of `readStates` once the applied index is >= its `index`.
 * 5. Call advance(rd).
 *
 * Pipelined hosts may call ready() again before earlier Readies are advanced (ready() marks
 * what it hands out, as etcd's acceptReady does), under these rules:
 * 1. advance(rd) strictly in the order the Readies were taken, each once its writes and every
 *    earlier Ready's writes are durable.
 * 2. Writes in Ready order; consecutive queued Readies may be merged into one atomic write:
 *    entries truncate-and-append (a later Ready's entries replace queued ones at or above its
 *    first index), the latest hardState wins.
 * 3. `app`, `heartbeat` and `snapshot` (canSendBeforePersist) may go out at ready() time unless
 *    a term or vote change is queued and not yet durable; every other message of Ready k waits
 *    until the writes of Readies <= k are durable.
 * 4. `committedEntries` may be applied at ready() time, before they are durable locally: an
 *    entry commits only once a quorum holds it durably (the leader counts its own copy only
 *    after advance() reports it persisted), so no crash can take it back; the node's own copy
 *    can only be replaced by a leader that holds it. Only its own commit index may be behind
 *    after a crash, which the core re-learns (a new leader commits an entry of its term before
 *    serving reads). A Ready with a snapshot or committed conf change may be drained first.
 * 5. A crash loses every write not yet completed (a merged write is all or nothing).
 * Because the state machine may then be ahead of advance(), snapshot and compact storage only
 * up to `status().applied` (the core still reads the entries after it).
 */
export interface Ready {
  /** Present when the leader or role changed since the previous Ready. */
  softState?: SoftState;
  /** Present when term, vote or commit changed: persist it. */
  hardState?: HardState;
  /** Entries to append to stable storage (before sending messages). */
  entries: Entry[];
  /** A snapshot received from the leader, complete: persist it and restore the state machine from it. */
  snapshot?: Snapshot;
  /** Committed entries to apply, in order. */
  committedEntries: Entry[];
  /** Messages to send once step 1 is durable (see the ordering rules above). */
  messages: Message[];
  /** Linearizable reads: serve each once applied >= index. */
  readStates: ReadState[];
  /** Whether entries/hardState must be synced to disk before messages are sent. */
  mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
  readonly inflight: number;
}

/** What `basicStatus()` reports: the node's own state, without the leader's per-peer progress. */
export interface BasicStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly lead: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly leadTransferee: NodeId | null;
}

export interface Status extends BasicStatus {
  /** Leader only: what it knows about every member. */
  readonly progress?: Readonly<Record<NodeId, ProgressStatus>>;
}

export class RawNode {
  /** Exposed for tests and the simulator's invariant checks; not a stable API. */
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = { lead: this.raft.lead, role: this.raft.role };
    this.prevHard = { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (skips the timeout; PreVote still applies). */
  campaign(): void {
    this.raft.hup(false);
  }

  /**
   * Turns self-started elections on or off (default on). While off, the node stays a voter: its
   * election clock runs (the CheckQuorum lease expires, votes are granted, entries acknowledged),
   * but an election timeout never starts a (pre-)campaign and a TimeoutNow is ignored. Turning it
   * off abandons a (pre-)campaign in progress (the node becomes a follower in its current term);
   * a leader is unaffected. campaign() still works: it is an explicit request.
   */
  setCampaign(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new InvalidArgumentError('setCampaign expects a boolean');
    const r = this.raft;
    r.campaignEnabled = enabled;
    if (!enabled && (r.role === Role.PreCandidate || r.role === Role.Candidate)) r.becomeFollower(r.term, null);
  }

  /**
   * Feeds a message from the network. Malformed input throws InvalidArgumentError; messages
   * that cannot be served (stale, from removed nodes, proposals without a leader) are dropped.
   */
  step(m: Message): void {
    if (!isMessage(m)) throw new InvalidArgumentError('not a well-formed raft message');
    if (m.to !== this.raft.id) return;
    try {
      this.raft.step(m);
    } catch (err) {
      // A forwarded proposal/read that we cannot serve (or a malformed forwarded conf change)
      // is dropped; its sender will retry or time out.
      if (err instanceof ProposalDroppedError || err instanceof ReadIndexDroppedError) return;
      if (err instanceof InvalidArgumentError && m.type === 'prop') return;
      throw err;
    }
  }

  /**
   * Proposes `data` for the log. On the leader it is appended at once; a follower forwards it to
   * the leader (unless disableProposalForwarding). Throws ProposalDroppedError when no leader is
   * known, forwarding is disabled, or a leadership transfer is in progress. Acceptance is not
   * commitment: watch committedEntries.
   */
  propose(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('proposal data must be a Uint8Array');
    this.proposeEntry(EntryType.Normal, data);
  }

  protected proposeEntry(type: EntryType, data: Uint8Array): void {
    const r = this.raft;
    if (r.role === Role.Leader) {
      // Fast path: no intermediate proposal entry or message.
      r.leaderProposeOne(type, data);
      return;
    }
    r.step({ type: 'prop', from: r.id, to: r.id, term: 0, entries: [{ term: 0, index: 0, type, data }] });
  }

  /**
   * Proposes a membership change (leader, or forwarded by a follower). Throws
   * InvalidArgumentError for a malformed change and ProposalDroppedError when the leader cannot
   * take it now (no entry of its term committed yet, another change not yet applied, or the
   * change does not fit the current configuration).
   */
  proposeConfChange(cc: ConfChange): void {
    this.proposeEntry(EntryType.ConfChange, encodeConfChange(validateConfChange(cc)));
  }

  /**
   * Applies a committed conf change; call it when applying an EntryType.ConfChange entry (decode
   * with decodeConfChange) and persist the returned ConfState with the applied index.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(validateConfChange(cc));
  }

  /**
   * Requests a linearizable read. When confirmed, a ReadState with the same `context` appears in
   * a Ready; serve the read once applied >= its index. Contexts must be unique cluster-wide
   * (e.g. node id + counter). Throws ReadIndexDroppedError when no leader is known.
   */
  readIndex(context: Uint8Array): void {
    if (!(context instanceof Uint8Array)) throw new InvalidArgumentError('read context must be a Uint8Array');
    const r = this.raft;
    r.step({ type: 'readIndex', from: r.id, to: r.id, term: 0, context });
  }

  /**
   * Asks the leader to hand leadership to `to` (forwarded when called on a follower). Proposals
   * are refused while the transfer runs; it is aborted after an election timeout.
   */
  transferLeadership(to: NodeId): void {
    if (typeof to !== 'string' || to === '') throw new InvalidArgumentError('transferee must be a node id');
    const r = this.raft;
    r.step({ type: 'transferLeader', from: r.id, to: r.id, term: 0, transferee: to });
  }

  /** Tells the leader that `id` could not be reached: stop pipelining to it and probe. */
  reportUnreachable(id: NodeId): void {
    const r = this.raft;
    if (r.role !== Role.Leader) return;
    const pr = r.trk.progress.get(id);
    if (pr !== undefined && pr.state === ProgressState.Replicate) pr.becomeProbe();
  }

  hasReady(): boolean {
    const r = this.raft;
    r.flush();
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.hasNextEntries() || r.log.unstable.nextSnapshot() !== null) return true;
    if (r.log.hasNextCommittedEnts()) return true;
    if (r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role) return true;
    const h = this.prevHard;
    return r.term !== h.term || r.vote !== h.vote || r.log.committed !== h.commit;
  }

  /** Collects the pending work; call advance(rd) once it is handled. */
  ready(): Ready {
    const r = this.raft;
    const log = r.log;
    const messages = r.takeMessages();
    const entries = log.unstable.nextEntries();
    const committedEntries = log.nextCommittedEnts();
    const rd: Ready = { entries, committedEntries, messages, readStates: r.readStates, mustSync: entries.length > 0 };
    r.readStates = [];
    if (r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role) {
      this.prevSoft = { lead: r.lead, role: r.role };
      rd.softState = this.prevSoft;
    }
    const h = this.prevHard;
    if (r.term !== h.term || r.vote !== h.vote || log.committed !== h.commit) {
      if (r.term !== h.term || r.vote !== h.vote) rd.mustSync = true;
      this.prevHard = { term: r.term, vote: r.vote, commit: log.committed };
      rd.hardState = this.prevHard;
    }
    const snap = log.unstable.nextSnapshot();
    if (snap !== null) {
      rd.snapshot = snap;
      rd.mustSync = true;
    }
    log.unstable.acceptInProgress();
    const n = committedEntries.length;
    if (n > 0) log.acceptApplying(committedEntries[n - 1]!.index, entriesSize(committedEntries));
    return rd;
  }

  /** Reports that everything in `rd` was persisted, sent and applied as the Ready rules say. */
  advance(rd: Ready): void {
    const r = this.raft;
    const log = r.log;
    if (rd.snapshot !== undefined) {
      const idx = rd.snapshot.metadata.index;
      log.stableSnapTo(idx);
      log.appliedTo(idx, 0);
    }
    const ne = rd.entries.length;
    if (ne > 0) {
      const last = rd.entries[ne - 1]!;
      log.stableTo(last.index, last.term);
    }
    const nc = rd.committedEntries.length;
    if (nc > 0) log.appliedTo(rd.committedEntries[nc - 1]!.index, entriesSize(rd.committedEntries));
    if (r.role === Role.Leader && ne > 0) r.selfAck(log.persistedIndex());
    if (nc > 0) r.onApplied();
  }

  /** As etcd's BasicStatus: cheap enough to read per request (status() copies every peer's progress). */
  basicStatus(): BasicStatus {
    const r = this.raft;
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
    };
  }

  status(): Status {
    const r = this.raft;
    const base = this.basicStatus();
    if (r.role !== Role.Leader) return base;
    const progress: Record<NodeId, ProgressStatus> = {};
    for (const [id, pr] of r.trk.progress) {
      progress[id] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
        inflight: pr.inflights.length,
      };
    }
    return { ...base, progress };
  }
}
