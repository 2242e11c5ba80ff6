/**
 * @module lease-types
 * The lease commands and results of the KV state machine (etcd's LeaseGrant, LeaseKeepAlive and
 * LeaseRevoke as they are replicated). Ids and TTLs are chosen by the proposer, never at apply
 * time, so every replica applies the same values.
 */
import type { AuthIdentity } from './auth-types.js';

export interface LeaseGrantCommand {
  readonly type: 'leaseGrant';
  /** Positive; chosen by the proposer (the client's, or a random one) so replicas agree. */
  readonly id: number;
  /** Seconds, already clamped to the cluster's minimum and maximum by the proposer. */
  readonly ttl: number;
}

export interface LeaseKeepAliveCommand {
  readonly type: 'leaseKeepAlive';
  readonly id: number;
}

export interface LeaseRevokeCommand {
  readonly type: 'leaseRevoke';
  readonly id: number;
  /**
   * Set by the leader's expiry: revoke only if the lease still has this many refreshes. A
   * keep-alive applied after the leader decided turns the expiry into a no-op.
   */
  readonly refreshes?: number;
  /** Who asked (a client's revoke while auth is on); absent for the leader's expiry. */
  readonly as?: AuthIdentity;
}

export type LeaseCommand = LeaseGrantCommand | LeaseKeepAliveCommand | LeaseRevokeCommand;

export interface LeaseGrantResult {
  readonly type: 'leaseGrant';
  readonly ok: true;
  readonly revision: number;
  readonly id: number;
  readonly ttl: number;
}

export interface LeaseKeepAliveResult {
  readonly type: 'leaseKeepAlive';
  readonly ok: true;
  readonly revision: number;
  readonly id: number;
  /** The granted TTL, which the lease has again from now. */
  readonly ttl: number;
}

export interface LeaseRevokeResult {
  readonly type: 'leaseRevoke';
  readonly ok: true;
  readonly revision: number;
  /** false: an expiry that a later keep-alive overtook; nothing changed. */
  readonly revoked: boolean;
  /** Attached keys deleted (all in one revision). */
  readonly deleted: number;
}

export type LeaseResult = LeaseGrantResult | LeaseKeepAliveResult | LeaseRevokeResult;
