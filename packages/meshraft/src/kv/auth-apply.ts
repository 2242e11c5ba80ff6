/**
 * @module auth-apply
 * The auth part of applying a command, as etcd's authApplierV3 does it: `auth` commands run
 * against the store, and writes and lease revokes are checked against the auth state they are
 * applied on (so a change between a member's check and the apply is caught on every replica).
 */
import type { Bytes } from './bytes.js';
import type { AuthErrorCode } from './auth-errors.js';
import { AuthStoreError, type AuthStore } from './auth-store.js';
import type { AuthCommand, AuthIdentity, AuthResult } from './auth-types.js';
import type { CompactCommand, InvalidCommand, KvCommand, KvFailure, MemberAttrsCommand } from './kv-types.js';

/** The commands apply checks: writes and the lease commands. */
export type CheckedCommand = Exclude<KvCommand, InvalidCommand | CompactCommand | AuthCommand | MemberAttrsCommand>;

/** Runs an auth command; `revision` is the KV store's, for the result. */
export function applyAuthCommand(auth: AuthStore, cmd: AuthCommand, revision: number): AuthResult | KvFailure {
  try {
    const out = auth.apply(cmd);
    return { type: 'auth', ok: true, revision, authRevision: auth.revision, enabled: auth.enabled, ...out };
  } catch (err) {
    if (err instanceof AuthStoreError) return { type: 'error', ok: false, revision, code: err.code, message: err.message };
    throw err;
  }
}

/** etcd's checkLeasePuts: whoever revokes a lease (or attaches a key to it) must be able to write its keys. */
function leasePutsError(auth: AuthStore, as: AuthIdentity | undefined, keys: readonly Bytes[]): AuthErrorCode | undefined {
  for (const key of keys) {
    const e = auth.rangeError(as, key, undefined, 'write');
    if (e) return e;
  }
  return undefined;
}

/** The refusal of `cmd` at apply while auth is enabled, in etcd's order of checks. */
export function appliedCommandError(auth: AuthStore, cmd: CheckedCommand, leaseKeys: (id: number) => readonly Bytes[]): AuthErrorCode | undefined {
  if (!auth.enabled) return undefined;
  switch (cmd.type) {
    case 'leaseGrant':
    case 'leaseKeepAlive':
      return undefined;
    case 'leaseRevoke':
      // Without `as` it is the leader's expiry, which etcd proposes as root.
      return cmd.as ? leasePutsError(auth, cmd.as, leaseKeys(cmd.id)) : undefined;
    case 'put':
      return (
        auth.rangeError(cmd.as, cmd.key, undefined, 'write') ??
        (cmd.lease ? leasePutsError(auth, cmd.as, leaseKeys(cmd.lease)) : undefined) ??
        auth.requestError(cmd.as, cmd)
      );
    default:
      return auth.requestError(cmd.as, cmd);
  }
}
