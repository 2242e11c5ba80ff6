/**
 * @module messages
 * The messages Raft nodes exchange: a discriminated union of plain objects (strings, numbers,
 * booleans, arrays, Uint8Array, null) so any codec (msgpack, structured clone) carries them
 * unchanged. Every variant has `type`, `from`, `to` and `term`. Forwarded proposals and read
 * requests carry term 0: they are not part of the term protocol (as in etcd).
 */
import type { Entry, NodeId, SnapshotMetadata } from './types.js';

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** AppendEntries (§5.3): entries following (index, logTerm), and the leader's commit index. */
export interface AppendMessage extends Base {
  readonly type: 'app';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: Entry[];
  readonly commit: number;
}

/**
 * Answer to `app`. Accepted: `index` is the last index now matching. Rejected: `index` is the
 * rejected MsgApp's index; (rejectHint, logTerm) is the follower's best guess of where the logs
 * may match, so the leader can skip a whole conflicting term at once.
 */
export interface AppendResponse extends Base {
  readonly type: 'appResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** RequestVote (§5.2) or PreVote (thesis §9.6); `transfer` bypasses the leader lease. */
export interface VoteRequest extends Base {
  readonly type: 'vote' | 'preVote';
  readonly index: number;
  readonly logTerm: number;
  readonly transfer: boolean;
}

export interface VoteResponse extends Base {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** Leader liveness; `context` echoes a ReadIndex round (null when none). */
export interface HeartbeatMessage extends Base {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly context: Uint8Array | null;
}

export interface HeartbeatResponse extends Base {
  readonly type: 'heartbeatResp';
  readonly context: Uint8Array | null;
}

/** A proposal forwarded from a follower to the leader (term 0; entries' term/index are 0). */
export interface ProposalMessage extends Base {
  readonly type: 'prop';
  readonly entries: Entry[];
}

/** A ReadIndex request forwarded from a follower to the leader (term 0). */
export interface ReadIndexRequest extends Base {
  readonly type: 'readIndex';
  readonly context: Uint8Array;
}

export interface ReadIndexResponse extends Base {
  readonly type: 'readIndexResp';
  readonly index: number;
  readonly context: Uint8Array;
}

/** Asks the leader to hand leadership to `transferee`. */
export interface TransferLeaderMessage extends Base {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

/** Tells an up-to-date follower to campaign now (leadership transfer, thesis §3.10). */
export interface TimeoutNowMessage extends Base {
  readonly type: 'timeoutNow';
}

/**
 * One chunk of a snapshot (InstallSnapshot, §7). `data` is bytes [offset, offset+data.length) of
 * a snapshot of `totalSize` bytes; `done` marks the last chunk.
 */
export interface SnapshotMessage extends Base {
  readonly type: 'snapshot';
  readonly metadata: SnapshotMetadata;
  readonly offset: number;
  readonly totalSize: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * Answer to a snapshot chunk: `offset` is the next byte the follower wants of the snapshot at
 * `index` (so a lost chunk is resent from there); `reject` when it will not take this snapshot.
 */
export interface SnapshotResponse extends Base {
  readonly type: 'snapshotResp';
  readonly index: number;
  readonly offset: number;
  readonly reject: boolean;
}

export type Message =
  | AppendMessage
  | AppendResponse
  | VoteRequest
  | VoteResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | ProposalMessage
  | ReadIndexRequest
  | ReadIndexResponse
  | TransferLeaderMessage
  | TimeoutNowMessage
  | SnapshotMessage
  | SnapshotResponse;

export type MessageType = Message['type'];

const TYPES: ReadonlySet<string> = new Set<MessageType>([
  'app',
  'appResp',
  'vote',
  'preVote',
  'voteResp',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'prop',
  'readIndex',
  'readIndexResp',
  'transferLeader',
  'timeoutNow',
  'snapshot',
  'snapshotResp',
]);

const isIndex = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isBytes = (v: unknown): boolean => v instanceof Uint8Array;
const isCtx = (v: unknown): boolean => v === null || v instanceof Uint8Array;

function isEntryList(v: unknown, proposal: boolean): boolean {
  if (!Array.isArray(v)) return false;
  for (const e of v as unknown[]) {
    if (typeof e !== 'object' || e === null) return false;
    const o = e as Record<string, unknown>;
    if (!isBytes(o.data) || (o.type !== 0 && o.type !== 1)) return false;
    if (!proposal && (!isIndex(o.term) || !isIndex(o.index))) return false;
  }
  return true;
}

function isMetadata(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const cs = o.confState as Record<string, unknown> | null | undefined;
  return (
    isIndex(o.index) &&
    isIndex(o.term) &&
    typeof cs === 'object' &&
    cs !== null &&
    ['voters', 'learners', 'votersOutgoing', 'learnersNext'].every((k) => Array.isArray(cs[k])) &&
    typeof cs.autoLeave === 'boolean'
  );
}

/**
 * Shape check for messages from the network, so malformed input is refused with a typed error
 * instead of failing somewhere inside the protocol. Cheap: no copies, one pass over entries.
 */
export function isMessage(m: unknown): m is Message {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (typeof o.type !== 'string' || !TYPES.has(o.type)) return false;
  if (typeof o.from !== 'string' || typeof o.to !== 'string' || !isIndex(o.term)) return false;
  switch (o.type as MessageType) {
    case 'app':
      return isIndex(o.index) && isIndex(o.logTerm) && isIndex(o.commit) && isEntryList(o.entries, false);
    case 'appResp':
      return isIndex(o.index) && typeof o.reject === 'boolean' && isIndex(o.rejectHint) && isIndex(o.logTerm);
    case 'vote':
    case 'preVote':
      return isIndex(o.index) && isIndex(o.logTerm) && typeof o.transfer === 'boolean';
    case 'voteResp':
    case 'preVoteResp':
      return typeof o.reject === 'boolean';
    case 'heartbeat':
      return isIndex(o.commit) && isCtx(o.context);
    case 'heartbeatResp':
      return isCtx(o.context);
    case 'prop':
      return isEntryList(o.entries, true);
    case 'readIndex':
      return isBytes(o.context);
    case 'readIndexResp':
      return isIndex(o.index) && isBytes(o.context);
    case 'transferLeader':
      return typeof o.transferee === 'string';
    case 'timeoutNow':
      return true;
    case 'snapshot':
      return (
        isMetadata(o.metadata) &&
        isIndex(o.offset) &&
        isIndex(o.totalSize) &&
        isBytes(o.data) &&
        typeof o.done === 'boolean'
      );
    case 'snapshotResp':
      return isIndex(o.index) && isIndex(o.offset) && typeof o.reject === 'boolean';
  }
}

/** Responses to requests (used to know which messages are answers rather than new requests). */
export function isResponse(t: MessageType): boolean {
  return t === 'appResp' || t === 'voteResp' || t === 'preVoteResp' || t === 'heartbeatResp' || t === 'snapshotResp';
}

/** Appends, heartbeats and snapshots: the messages only a leader sends. */
export function isLeaderBroadcast(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot';
}

/** What a host knows when it decides whether a message may overtake its disk write. */
export interface SendBeforePersistState {
  /** The node leads (as of the Ready the message came in). */
  readonly leader: boolean;
  /** A term or vote change from this or an earlier Ready is not yet durable. */
  readonly termOrVotePending: boolean;
}

/**
 * The send-before-persist rule, for every host (the runtime and the simulator call this, never a
 * copy): `m` may go out before the Ready it came in is durable only if it is a leader's
 * broadcast and no term or vote change is waiting for the disk (thesis §10.2.1: a leader may
 * write its log in parallel with replicating it; it counts its own copy only after advance()).
 * Everything else waits for the Ready's entries and hard state.
 */
export function canSendBeforePersist(m: Message, s: SendBeforePersistState): boolean {
  return s.leader && !s.termOrVotePending && isLeaderBroadcast(m);
}
