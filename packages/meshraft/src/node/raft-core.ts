/**
 * @module raft-core
 * The slice of @meshraft/core's RawNode the runtime drives, as a structural interface: RawNode
 * satisfies it, and the runtime's tests may inject another implementation. Message, Ready and
 * Status shapes are the core's own.
 */
import type { BasicStatus, ConfChange, ConfState, Message, NodeId, RaftConfig, Ready, Status } from '@meshraft/core';

export type { ConfChange, ConfChangeType } from '@meshraft/core';
export type { BasicStatus, Message, Ready, Status };
export type { ProgressStatus, ReadState } from '@meshraft/core';
export type RaftRole = Status['role'];

export interface RaftCore {
  tick(): void;
  step(msg: Message): void;
  propose(data: Uint8Array): void;
  readIndex(ctx: Uint8Array): void;
  transferLeadership(id: NodeId): void;
  proposeConfChange(cc: ConfChange): void;
  applyConfChange(cc: ConfChange): ConfState;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  status(): Status;
  /** status() without the leader's per-peer progress (read on hot paths). */
  basicStatus(): BasicStatus;
  /** Optional: start an election now instead of after the election timeout. */
  campaign?(): void;
  /** Optional: keep (true) or stop (false) starting elections; without it setCampaign is refused. */
  setCampaign?(enabled: boolean): void;
  /** Optional: the transport could not deliver to `id`; the leader stops pipelining and probes. */
  reportUnreachable?(id: NodeId): void;
}

/**
 * How the runtime obtains a core: a constructor plus the decoder for the core's conf-change
 * entry data (committed conf-change entries must be decoded to call applyConfChange).
 */
export interface CoreAdapter {
  create(config: RaftConfig): RaftCore;
  decodeConfChange(data: Uint8Array): ConfChange;
}
