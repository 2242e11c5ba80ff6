/**
 * @module kv-errors
 * Error codes of the KV state machine. A failed command is answered with a `KvFailure` result
 * carrying one of these codes (apply never throws); `KvError` is the thrown form for callers that
 * prefer exceptions (see `unwrapKvResult`).
 */
import { MeshraftError } from '@meshraft/core';
import type { AuthErrorCode } from './auth-errors.js';

export const KvErrorCode = {
  /** The command bytes or fields are malformed (bad msgpack, wrong types, unknown op). */
  InvalidCommand: 'KV_INVALID_COMMAND',
  /** A put, range, delete or compare named an empty key (etcd: "key is not provided"). */
  EmptyKey: 'KV_EMPTY_KEY',
  /** A txn writes the same key twice, or puts a key it also deletes (etcd: "duplicate key"). */
  DuplicateKey: 'KV_DUPLICATE_KEY',
  /** A txn has more operations than `maxTxnOps` (etcd: "too many operations in txn request"). */
  TooManyOps: 'KV_TOO_MANY_OPS',
  /** `ignoreValue`/`ignoreLease` on a key that does not exist (etcd: "key not found"). */
  KeyNotFound: 'KV_KEY_NOT_FOUND',
  /** `ignoreValue` with a value, or `ignoreLease` with a lease (etcd: "value/lease is provided"). */
  ValueProvided: 'KV_VALUE_PROVIDED',
  LeaseProvided: 'KV_LEASE_PROVIDED',
  /** A put, keep-alive or revoke named a lease that does not exist (etcd: "requested lease not found"). */
  LeaseNotFound: 'KV_LEASE_NOT_FOUND',
  /** A grant named the id of a lease that exists (etcd: "lease already exists"). */
  LeaseExists: 'KV_LEASE_EXISTS',
  /** A read asked for a past revision; only the current revision is kept. */
  Compacted: 'KV_COMPACTED',
  /** A read asked for a revision the store has not reached. */
  FutureRevision: 'KV_FUTURE_REVISION',
  /** A memberAttrs command gave peer URLs another member has recorded (etcd: "Peer URLs already exists"). */
  PeerUrlExists: 'KV_PEER_URL_EXISTS',
  /** `restore` was given bytes that are not a snapshot of this state machine. */
  InvalidSnapshot: 'KV_INVALID_SNAPSHOT',
} as const;
export type KvErrorCode = (typeof KvErrorCode)[keyof typeof KvErrorCode];

export class KvError extends MeshraftError {
  declare readonly code: KvErrorCode | AuthErrorCode;
  constructor(code: KvErrorCode | AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
