/**
 * @module config
 * RaftConfig: how a node is set up, with defaults and validation. Times are counts of tick()
 * calls (the host decides how long a tick is).
 */
import { InvalidConfigError } from './raft-errors.js';
import { seededRandom } from './random.js';
import type { Storage } from './storage.js';
import type { NodeId } from './types.js';

export interface RaftConfig {
  /** This node's id; must not be empty. */
  readonly id: NodeId;
  /** Persisted state, read-only to the core. */
  readonly storage: Storage;
  /** Election timeout in ticks; each term's timeout is drawn from [electionTick, 2*electionTick). Default 10. */
  readonly electionTick?: number;
  /** Ticks between leader heartbeats; must be < electionTick. Default 1. */
  readonly heartbeatTick?: number;
  /** Source of randomness in [0, 1). Default: seededRandom derived from `id` (deterministic). */
  readonly random?: () => number;
  /** Run a PreVote round before a real election (thesis §9.6). Default true. */
  readonly preVote?: boolean;
  /** Leader steps down without a quorum's contact in an election timeout; followers keep a lease. Default true. */
  readonly checkQuorum?: boolean;
  /** Max bytes of entry data in one MsgApp (at least one entry is always sent). Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Max unacknowledged MsgApps per follower in replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Max unacknowledged bytes per follower (0 = unlimited). Default 0. */
  readonly maxInflightBytes?: number;
  /** Last index the host applied before a restart. Default: the storage's first index - 1. */
  readonly applied?: number;
  /** Max bytes of committed entries handed out for applying and not yet advanced. Default unlimited. */
  readonly maxCommittedSizePerReady?: number;
  /** Reject proposals on followers instead of forwarding them to the leader. Default false. */
  readonly disableProposalForwarding?: boolean;
  /** Bytes per snapshot chunk message. Default 64 KiB (fits a WebRTC data channel message). */
  readonly snapshotChunkSize?: number;
  /** Snapshot chunks sent ahead of the follower's acknowledgement. Default 4. */
  readonly snapshotChunksInFlight?: number;
}

export interface ResolvedConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly random: () => number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly applied: number;
  readonly maxCommittedSizePerReady: number;
  readonly disableProposalForwarding: boolean;
  readonly snapshotChunkSize: number;
  readonly snapshotChunksInFlight: number;
}

export const DEFAULTS = {
  electionTick: 10,
  heartbeatTick: 1,
  preVote: true,
  checkQuorum: true,
  maxSizePerMsg: 1 << 20,
  maxInflightMsgs: 256,
  maxInflightBytes: 0,
  maxCommittedSizePerReady: Infinity,
  disableProposalForwarding: false,
  snapshotChunkSize: 64 * 1024,
  snapshotChunksInFlight: 4,
} as const;

function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidConfigError(`${name} must be a positive integer, got ${v}`);
  return v;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  if (typeof c !== 'object' || c === null) throw new InvalidConfigError('config must be an object');
  if (typeof c.id !== 'string' || c.id === '') throw new InvalidConfigError('id must be a non-empty string');
  if (typeof c.storage !== 'object' || c.storage === null) throw new InvalidConfigError('storage is required');
  const electionTick = positiveInt('electionTick', c.electionTick ?? DEFAULTS.electionTick);
  const heartbeatTick = positiveInt('heartbeatTick', c.heartbeatTick ?? DEFAULTS.heartbeatTick);
  if (heartbeatTick >= electionTick) {
    throw new InvalidConfigError(`electionTick (${electionTick}) must be greater than heartbeatTick (${heartbeatTick})`);
  }
  const maxSizePerMsg = c.maxSizePerMsg ?? DEFAULTS.maxSizePerMsg;
  if (!(maxSizePerMsg >= 0)) throw new InvalidConfigError('maxSizePerMsg must be >= 0');
  const maxCommitted = c.maxCommittedSizePerReady ?? DEFAULTS.maxCommittedSizePerReady;
  if (!(maxCommitted > 0)) throw new InvalidConfigError('maxCommittedSizePerReady must be > 0');
  const maxInflightBytes = c.maxInflightBytes ?? DEFAULTS.maxInflightBytes;
  if (!(maxInflightBytes >= 0)) throw new InvalidConfigError('maxInflightBytes must be >= 0');
  if (c.random !== undefined && typeof c.random !== 'function') throw new InvalidConfigError('random must be a function');
  const applied = c.applied ?? 0;
  if (!Number.isInteger(applied) || applied < 0) throw new InvalidConfigError('applied must be a non-negative integer');
  return {
    id: c.id,
    storage: c.storage,
    electionTick,
    heartbeatTick,
    random: c.random ?? seededRandom(hashId(c.id)),
    preVote: c.preVote ?? DEFAULTS.preVote,
    checkQuorum: c.checkQuorum ?? DEFAULTS.checkQuorum,
    maxSizePerMsg,
    maxInflightMsgs: positiveInt('maxInflightMsgs', c.maxInflightMsgs ?? DEFAULTS.maxInflightMsgs),
    maxInflightBytes,
    applied,
    maxCommittedSizePerReady: maxCommitted,
    disableProposalForwarding: c.disableProposalForwarding ?? DEFAULTS.disableProposalForwarding,
    snapshotChunkSize: positiveInt('snapshotChunkSize', c.snapshotChunkSize ?? DEFAULTS.snapshotChunkSize),
    snapshotChunksInFlight: positiveInt('snapshotChunksInFlight', c.snapshotChunksInFlight ?? DEFAULTS.snapshotChunksInFlight),
  };
}
