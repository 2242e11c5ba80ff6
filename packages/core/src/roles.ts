/**
 * @module roles
 * Each Raft role is an explicit state object with entry and exit actions and its own tick and
 * step (as etcd swaps stepLeader/stepCandidate/stepFollower). Shared handlers live on the host
 * (Raft), which roles see only through RoleHost, so this module does not import raft.ts.
 */
import type { ResolvedConfig } from './config.js';
import type { AppendMessage, HeartbeatMessage, Message, ReadIndexRequest, SnapshotMessage } from './messages.js';
import { ProgressState } from './progress.js';
import { VoteResult } from './quorum.js';
import type { RaftLog } from './raft-log.js';
import { ProposalDroppedError, ReadIndexDroppedError } from './raft-errors.js';
import type { ReadOnly, ReadState } from './read-only.js';
import type { SnapshotSender } from './snapshot-transfer.js';
import type { ProgressTracker } from './tracker.js';
import { EntryType, type Entry, type NodeId } from './types.js';

export const Role = {
  Follower: 'follower',
  PreCandidate: 'preCandidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** What the roles read and call on the node that holds them (Raft implements it). */
export interface RoleHost {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  readonly role: Role;
  readonly term: number;
  lead: NodeId | null;
  readonly campaignEnabled: boolean;
  readonly readStates: ReadState[];
  readonly readOnly: ReadOnly;
  readonly outgoingSnapshots: Map<NodeId, SnapshotSender>;
  readonly leadTransferee: NodeId | null;
  electionElapsed: number;
  heartbeatElapsed: number;
  pendingConfIndex: number;
  pendingReadIndex: ReadIndexRequest[];
  needBcast: boolean;
  // role changes and elections
  becomeFollower(term: number, lead: NodeId | null): void;
  becomeLeader(): void;
  campaign(kind: 'pre' | 'real', transfer: boolean): void;
  hup(transfer: boolean): void;
  poll(id: NodeId, granted: boolean): VoteResult;
  promotable(): boolean;
  pastElectionTimeout(): boolean;
  // follower side
  send(m: Message): void;
  handleAppendEntries(m: AppendMessage): void;
  handleHeartbeat(m: HeartbeatMessage): void;
  handleSnapshotChunk(m: SnapshotMessage): void;
  // leader side
  appendEntries(ents: readonly { readonly type: EntryType; readonly data: Uint8Array }[]): void;
  leaderPropose(entries: readonly Entry[]): void;
  maybeCommit(): boolean;
  onCommitAdvanced(): void;
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean;
  bcastHeartbeat(context: Uint8Array | null): void;
  sendSnapshotChunks(to: NodeId, out: SnapshotSender): void;
  maybeResendSnapshotChunk(to: NodeId): void;
  abortSnapshot(to: NodeId): void;
  handleReadIndex(m: ReadIndexRequest): void;
  handleReadAck(from: NodeId, round: Uint8Array | null): void;
  handleTransferLeader(to: NodeId): void;
  sendTimeoutNow(to: NodeId): void;
  abortLeaderTransfer(): void;
  handOffAfterRemoval(): void;
}

export interface RoleBehavior {
  readonly role: Role;
  /** Runs after the shared state was reset for the new role. */
  enter(r: RoleHost): void;
  /** Runs before the node leaves this role. */
  exit(r: RoleHost): void;
  tick(r: RoleHost): void;
  /** Handles a message whose term was already checked (and is the node's current term, or 0). */
  step(r: RoleHost, m: Message): void;
}

const NO_LEADER = 'no leader is known';

/** Followers, candidates: count down to an election. */
function tickElection(r: RoleHost): void {
  r.electionElapsed++;
  // With campaigning off the clock still runs: the CheckQuorum lease expires and votes are granted.
  if (r.campaignEnabled && r.promotable() && r.pastElectionTimeout()) {
    r.electionElapsed = 0;
    r.hup(false);
  }
}

const follower: RoleBehavior = {
  role: Role.Follower,
  enter() {},
  exit() {},
  tick: tickElection,
  step(r, m) {
    switch (m.type) {
      case 'prop':
        if (r.lead === null) throw new ProposalDroppedError(null, NO_LEADER);
        if (r.cfg.disableProposalForwarding) throw new ProposalDroppedError(r.lead, 'proposal forwarding is disabled');
        r.send({ ...m, from: r.id, to: r.lead, term: 0 });
        return;
      case 'app':
        r.electionElapsed = 0;
        r.lead = m.from;
        r.handleAppendEntries(m);
        return;
      case 'heartbeat':
        r.electionElapsed = 0;
        r.lead = m.from;
        r.handleHeartbeat(m);
        return;
      case 'snapshot':
        r.electionElapsed = 0;
        r.lead = m.from;
        r.handleSnapshotChunk(m);
        return;
      case 'transferLeader':
        if (r.lead === null) return;
        r.send({ ...m, to: r.lead });
        return;
      case 'timeoutNow':
        // Leadership transfer: campaign at once, bypassing PreVote and leases. A node that may not
        // campaign ignores it; the leader's transfer then times out as usual.
        if (r.campaignEnabled) r.hup(true);
        return;
      case 'readIndex':
        if (r.lead === null) throw new ReadIndexDroppedError(NO_LEADER);
        r.send({ ...m, to: r.lead, term: 0 });
        return;
      case 'readIndexResp':
        r.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  },
};

/** Candidate and PreCandidate share everything but the vote response they count. */
function candidateStep(r: RoleHost, m: Message, respType: 'voteResp' | 'preVoteResp'): void {
  switch (m.type) {
    case 'prop':
      throw new ProposalDroppedError(null, NO_LEADER);
    case 'readIndex':
      throw new ReadIndexDroppedError(NO_LEADER);
    case 'app':
      r.becomeFollower(m.term, m.from);
      r.handleAppendEntries(m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case 'snapshot':
      r.becomeFollower(m.term, m.from);
      r.handleSnapshotChunk(m);
      return;
    case 'voteResp':
    case 'preVoteResp': {
      if (m.type !== respType) return;
      const res = r.poll(m.from, !m.reject);
      if (res === VoteResult.Won) {
        if (r.role === Role.PreCandidate) r.campaign('real', false);
        else r.becomeLeader();
      } else if (res === VoteResult.Lost) {
        // A rejected PreVote is not a reason to move to a higher term.
        r.becomeFollower(r.term, null);
      }
      return;
    }
    default:
      return;
  }
}

const preCandidate: RoleBehavior = {
  role: Role.PreCandidate,
  enter() {},
  exit() {},
  tick: tickElection,
  step: (r, m) => candidateStep(r, m, 'preVoteResp'),
};

const candidate: RoleBehavior = {
  role: Role.Candidate,
  enter() {},
  exit() {},
  tick: tickElection,
  step: (r, m) => candidateStep(r, m, 'voteResp'),
};

const leader: RoleBehavior = {
  role: Role.Leader,
  enter(r) {
    const self = r.trk.progress.get(r.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively treat any unapplied entry as a possible conf change (no second change
    // may be proposed before it is applied).
    r.pendingConfIndex = r.log.lastIndex();
    // §5.4.2 / §8: commit an entry of the new term; it commits everything before it too.
    r.appendEntries([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
  },
  exit(r) {
    r.abortLeaderTransfer();
    r.pendingReadIndex = [];
    r.outgoingSnapshots.clear();
  },
  tick(r) {
    r.heartbeatElapsed++;
    r.electionElapsed++;
    if (r.electionElapsed >= r.cfg.electionTick) {
      r.electionElapsed = 0;
      const removed = !r.trk.isVoter(r.id);
      if (r.cfg.checkQuorum && !removed) {
        // CheckQuorum: a leader that did not hear from a quorum in an election timeout steps
        // down, so clients stop talking to a deposed leader (thesis §6.2). A removed leader
        // stays until its hand-off succeeds (see Raft.afterLeaderConfigChange).
        if (!r.trk.quorumActive(r.id)) {
          r.becomeFollower(r.term, null);
          return;
        }
        for (const [id, pr] of r.trk.progress) if (id !== r.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is aborted (thesis §3.10).
      if (r.leadTransferee !== null) r.abortLeaderTransfer();
      if (removed) r.handOffAfterRemoval();
    }
    if (r.heartbeatElapsed >= r.cfg.heartbeatTick) {
      r.heartbeatElapsed = 0;
      r.bcastHeartbeat(r.readOnly.lastPendingContext());
    }
  },
  step(r, m) {
    switch (m.type) {
      case 'prop':
        r.leaderPropose(m.entries);
        return;
      case 'readIndex':
        r.handleReadIndex(m);
        return;
      case 'transferLeader':
        r.handleTransferLeader(m.transferee);
        return;
    }
    const pr = r.trk.progress.get(m.from);
    if (pr === undefined) return; // not a member (any more)
    switch (m.type) {
      case 'appResp': {
        pr.recentActive = true;
        if (m.reject) {
          let next = m.rejectHint;
          // Skip the follower's whole conflicting term: find our last entry of a term <= theirs.
          if (m.logTerm > 0) next = r.log.findConflictByTerm(m.rejectHint, m.logTerm)[0];
          if (pr.maybeDecrTo(m.index, next)) {
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            r.maybeSendAppend(m.from, false);
          }
          return;
        }
        if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe)) {
          if (pr.state === ProgressState.Probe) {
            pr.becomeReplicate();
          } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
            // The snapshot (or entries the follower already had) caught it up. If the log was
            // compacted further meanwhile, probing will start another snapshot.
            r.outgoingSnapshots.delete(m.from);
            pr.becomeProbe();
            if (pr.match + 1 >= r.log.firstIndex()) pr.becomeReplicate();
          } else if (pr.state === ProgressState.Replicate) {
            pr.inflights.freeLE(m.index);
          }
          if (r.maybeCommit()) r.onCommitAdvanced();
          // Keep the pipe full; new entries (and commit) go out at the next flush.
          r.needBcast = true;
          if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
        }
        return;
      }
      case 'heartbeatResp':
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        // A lost MsgApp would otherwise keep a full window stuck forever.
        if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.state === ProgressState.Snapshot) r.maybeResendSnapshotChunk(m.from);
        else if (pr.match < r.log.lastIndex() || pr.canBumpCommit(r.log.committed)) r.maybeSendAppend(m.from, true);
        r.handleReadAck(m.from, m.context);
        return;
      case 'snapshotResp': {
        pr.recentActive = true;
        const out = r.outgoingSnapshots.get(m.from);
        if (out === undefined || pr.state !== ProgressState.Snapshot || out.index !== m.index) return;
        if (m.reject) {
          r.abortSnapshot(m.from);
          return;
        }
        // Once complete, the follower's appResp moves it on.
        if (out.ack(m.offset)) r.sendSnapshotChunks(m.from, out);
        return;
      }
      default:
        return;
    }
  },
};

const BEHAVIORS: Record<Role, RoleBehavior> = {
  [Role.Follower]: follower,
  [Role.PreCandidate]: preCandidate,
  [Role.Candidate]: candidate,
  [Role.Leader]: leader,
};

export function roleBehavior(role: Role): RoleBehavior {
  return BEHAVIORS[role];
}
