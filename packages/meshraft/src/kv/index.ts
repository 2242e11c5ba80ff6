/**
 * @module meshraft/kv
 * The state machine contract and the built-in state machines: an etcd-style KV store and a counter.
 */
export type { ApplyContext, StateMachine } from './state-machine.js';
export { applyEntryData } from './state-machine.js';
export * from './kv-types.js';
export { KvError, KvErrorCode } from './kv-errors.js';
export {
  createKvStateMachine,
  DEFAULT_MAX_TXN_OPS,
  type KvStateMachine,
  type KvStateMachineOptions,
  type WatchReplay,
  type AuthView,
} from './kv-state-machine.js';
export * from './auth-types.js';
export { AuthErrorCode } from './auth-errors.js';
export { AUTH_MESSAGES, AuthStore, AuthStoreError, ROOT_ROLE, ROOT_USER, type AuthOutcome, type AuthState } from './auth-store.js';
export { MAX_LEASE_TTL, type LeaseEvent, type LeaseInfo, type LeaseView } from './lease-table.js';
export { createLeaseKeeper, type LeaseKeeper, type LeaseKeeperOptions, type LeaseKeeperTimers } from './lease-keeper.js';
export { DEFAULT_HISTORY_LIMIT_BYTES } from './mvcc-history.js';
export { cas, deleteRange, put, range, txn, unwrapKvResult, type RangeOptions } from './kv-commands.js';
export {
  bytesEqual,
  bytesToString,
  compareBytes,
  prefixRangeEnd,
  toBytes,
  type Bytes,
  type BytesLike,
} from './bytes.js';
export { MAX_TXN_DEPTH, parseKvCommand, parseKvQuery } from './kv-command-parser.js';
export { MAX_MEMBER_ATTRS_ENTRIES, MAX_MEMBER_TEXT, MAX_MEMBER_URL_LENGTH, MAX_MEMBER_URLS } from './member-attrs.js';
export {
  createCounterStateMachine,
  CounterSnapshotError,
  type CounterCommand,
  type CounterQuery,
  type CounterResult,
  type CounterState,
  type CounterStateMachine,
} from './counter-state-machine.js';
