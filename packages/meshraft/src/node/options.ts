/**
 * @module options
 * createNode's options, their documented defaults and their validation. Bad options are a typed
 * InvalidOptionError before anything starts, never a crash later.
 */
import type { NodeId } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { Transport } from '@meshraft/transport';
import type { StateMachine } from '../kv/state-machine.js';
import { isClusterId } from './cluster-identity.js';
import { InvalidOptionError } from './errors.js';
import type { CoreAdapter } from './raft-core.js';
import type { Timers } from './timers.js';

export interface NodeTiming {
  /** Milliseconds per core tick. */
  readonly tickMs: number;
  /** Ticks without a leader before a follower campaigns (randomised to [n, 2n) by the core). */
  readonly electionTicks: number;
  /** Ticks between leader heartbeats. */
  readonly heartbeatTicks: number;
}

export const DEFAULT_TIMING: NodeTiming = Object.freeze({ tickMs: 100, electionTicks: 10, heartbeatTicks: 1 });

export interface MembershipOptions {
  /** Voters the leader grows the cluster to by promoting caught-up learners (odd). Default 3. */
  readonly targetVoters?: number;
  /** A voter unheard-from this long is replaced by a caught-up learner. Default 30 000 ms. */
  readonly graceMs?: number;
  /** A learner within this many entries of the commit index is caught up. Default 100. */
  readonly maxLagEntries?: number;
  /** Turn the automatic promotion/replacement off (manual promote/remove only). Default true. */
  readonly auto?: boolean;
  /**
   * This node may vanish with its page (a browser tab). Told to peers: when the policy shrinks
   * the voter set it demotes such voters first, and such a leader hands leadership to a
   * reachable, caught-up voter that is not. Default false.
   */
  readonly ephemeral?: boolean;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface CreateNodeOptions<C, R, Q, QR> {
  /** Cluster name; frames of other clusters are dropped and storage of another cluster is refused. */
  readonly cluster: string;
  readonly storage: DurableStorage;
  /**
   * The transport, or a factory given the node id (so a reloaded tab can reconnect under the id it
   * keeps in storage). The transport's `self` must equal the node id.
   */
  readonly transport: Transport | ((id: NodeId) => Transport | Promise<Transport>);
  readonly stateMachine: StateMachine<C, R, Q, QR>;
  /** Node id for new storage; defaults to the transport's `self` or a random id. */
  readonly id?: NodeId;
  /**
   * Found a new cluster (ignored when storage already has state): `true` makes this node the only
   * voter (others then join); `{ voters }` starts a fixed founding set, and every founding node
   * must be given the same list.
   */
  readonly bootstrap?: boolean | { readonly voters: readonly NodeId[] };
  /**
   * The cluster id (32 hex digits, see status().clusterId) this node belongs to. A fresh joiner
   * given one joins only that cluster (e.g. the id in a board link) and refuses every other
   * under the name; a founder given one founds under it instead of minting one (a fixed
   * founding set without it derives one from the name and the voters). Storage already holding
   * another id rejects with ClusterIdMismatchError.
   */
  readonly clusterId?: string;
  /**
   * Source of the 16 random bytes of a newly minted cluster id (default: crypto.getRandomValues).
   * A seeded simulator may inject one; the schedule never depends on the id's value.
   */
  readonly randomBytes?: (n: number) => Uint8Array;
  readonly timing?: Partial<NodeTiming>;
  /** Seeded random source for election jitter and ids. Default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly membership?: MembershipOptions;
  /** Default propose/read/membership timeout. Default 10 × election timeout. */
  readonly timeoutMs?: number;
  /** Largest encoded command accepted by propose(). Default 512 KiB (a frame must fit the ~1 MiB envelope). */
  readonly maxProposalBytes?: number;
  /** Take a snapshot and compact the log every this many applied entries. Default 10 000. */
  readonly snapshotEntries?: number;
  /**
   * A snapshot also waits until the entries applied since the last one hold at least this many
   * times its size in bytes (default 1; 0: count entries only). A snapshot encodes the whole state,
   * the KV store's MVCC history included, so without this its cost per write grows with the state.
   */
  readonly snapshotLogRatio?: number;
  /**
   * How long a leader holds an append that only moves a follower's commit index, in case the
   * next append to that follower (which carries the commit too) goes out first. Default 2 ms;
   * 0 sends each at once. See commit-notices.ts.
   */
  readonly commitNoticeDelayMs?: number;
  /** The Raft core to drive (default: @meshraft/core's RawNode). */
  readonly core?: CoreAdapter;
  /** Time source (default: the platform's timers). */
  readonly timers?: Timers;
  /**
   * Source of the per-start session id suffix (default: crypto.getRandomValues). Must differ on
   * every start of a node, or a restarted node is answered with its old session's cached
   * results; only a simulator that forks a fresh seeded stream per start should inject it.
   */
  readonly sessionNonce?: () => string;
}

export interface ResolvedOptions {
  readonly timing: NodeTiming;
  readonly timeoutMs: number;
  readonly maxProposalBytes: number;
  readonly snapshotEntries: number;
  readonly snapshotLogRatio: number;
  readonly commitNoticeDelayMs: number;
  readonly membership: Required<MembershipOptions>;
}

function nonNegative(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidOptionError(name, `must be a finite number >= 0, got ${v}`);
  return v;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidOptionError(name, `must be a positive integer, got ${v}`);
  return v;
}

export function positiveMs(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidOptionError(name, `must be a positive number of ms, got ${String(v)}`);
  }
  return v;
}

export function resolveOptions<C, R, Q, QR>(o: CreateNodeOptions<C, R, Q, QR>): ResolvedOptions {
  if (typeof o.cluster !== 'string' || o.cluster === '') throw new InvalidOptionError('cluster', 'must be a non-empty string');
  if (o.clusterId !== undefined && !isClusterId(o.clusterId)) {
    throw new InvalidOptionError('clusterId', 'must be 32 lowercase hex digits (status().clusterId of a member)');
  }
  if (o.id !== undefined && (typeof o.id !== 'string' || o.id === '')) {
    throw new InvalidOptionError('id', 'must be a non-empty string');
  }
  const t = { ...DEFAULT_TIMING, ...o.timing };
  const timing: NodeTiming = {
    tickMs: positiveMs('timing.tickMs', t.tickMs),
    electionTicks: positiveInt('timing.electionTicks', t.electionTicks),
    heartbeatTicks: positiveInt('timing.heartbeatTicks', t.heartbeatTicks),
  };
  if (timing.heartbeatTicks >= timing.electionTicks) {
    throw new InvalidOptionError('timing.heartbeatTicks', 'must be smaller than electionTicks');
  }
  const electionMs = timing.tickMs * timing.electionTicks;
  const m = o.membership ?? {};
  const targetVoters = positiveInt('membership.targetVoters', m.targetVoters ?? 3);
  if (targetVoters % 2 === 0) throw new InvalidOptionError('membership.targetVoters', 'must be odd');
  return {
    timing,
    timeoutMs: positiveMs('timeoutMs', o.timeoutMs ?? 10 * electionMs),
    maxProposalBytes: positiveInt('maxProposalBytes', o.maxProposalBytes ?? 512 * 1024),
    snapshotEntries: positiveInt('snapshotEntries', o.snapshotEntries ?? 10_000),
    snapshotLogRatio: nonNegative('snapshotLogRatio', o.snapshotLogRatio ?? 1),
    commitNoticeDelayMs: nonNegative('commitNoticeDelayMs', o.commitNoticeDelayMs ?? 2),
    membership: {
      targetVoters,
      graceMs: positiveMs('membership.graceMs', m.graceMs ?? 30_000),
      maxLagEntries: positiveInt('membership.maxLagEntries', m.maxLagEntries ?? 100),
      auto: m.auto ?? true,
      ephemeral: m.ephemeral === true,
    },
  };
}
