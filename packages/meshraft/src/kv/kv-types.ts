/**
 * @module kv-types
 * Commands, queries and results of the KV state machine. They mirror etcd's KV API
 * (etcdserverpb Put/Range/DeleteRange/Txn) with camelCase names, bytes for keys and values and
 * plain numbers for revisions (exact up to 2^53).
 */
import type { Bytes } from './bytes.js';
import type { KvErrorCode } from './kv-errors.js';
import type { AuthErrorCode } from './auth-errors.js';
import type { AuthCommand, AuthIdentity, AuthResult } from './auth-types.js';
import type {
  LeaseCommand,
  LeaseGrantCommand,
  LeaseGrantResult,
  LeaseKeepAliveCommand,
  LeaseKeepAliveResult,
  LeaseResult,
  LeaseRevokeCommand,
  LeaseRevokeResult,
} from './lease-types.js';
import type { MemberAttrsCommand, MemberAttrsResult } from './member-attrs.js';

export type * from './lease-types.js';
export type { MemberAttrs, MemberAttrsCommand, MemberAttrsResult, MemberAttrsView } from './member-attrs.js';

/** A stored key, as etcd's mvccpb.KeyValue. */
export interface KeyValue {
  readonly key: Bytes;
  readonly value: Bytes;
  /** Revision of the put that created the key (reset when the key is deleted and put again). */
  readonly createRevision: number;
  /** Revision of the last put to the key. */
  readonly modRevision: number;
  /** Number of puts since the key was created: 1 after creation, reset to 0 by a delete. */
  readonly version: number;
  /** The attached lease's id, 0 for none. */
  readonly lease: number;
}

/**
 * A key range as etcd spells it: `rangeEnd` absent selects `key` alone; `rangeEnd` selects
 * [key, rangeEnd); the single byte `\0` as `rangeEnd` selects every key >= `key`.
 */
export interface KeyRange {
  readonly key: Bytes;
  readonly rangeEnd?: Bytes;
}

export interface PutCommand {
  readonly type: 'put';
  readonly key: Bytes;
  readonly value: Bytes;
  readonly lease?: number;
  /** Return the key-value as it was before this put. */
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist; `value` must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist; `lease` must be 0). */
  readonly ignoreLease?: boolean;
  /** Who proposed it, checked against the auth store at apply when auth is enabled (top level only). */
  readonly as?: AuthIdentity;
}

export interface DeleteRangeCommand extends KeyRange {
  readonly type: 'deleteRange';
  readonly prevKv?: boolean;
  readonly as?: AuthIdentity;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

export interface RangeQuery extends KeyRange {
  readonly type: 'range';
  /** Maximum number of keys returned; 0 or absent means no limit. */
  readonly limit?: number;
  /** Read at this revision; only 0 (current) or the current revision are served. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export type CompareResult = 'equal' | 'notEqual' | 'greater' | 'less';

/** One txn guard. Over a range every key must satisfy it; on a missing key numbers compare as 0. */
export type Compare = KeyRange & { readonly result: CompareResult } & (
    | { readonly target: 'value'; readonly value: Bytes }
    | { readonly target: 'version'; readonly version: number }
    | { readonly target: 'createRevision'; readonly createRevision: number }
    | { readonly target: 'modRevision'; readonly modRevision: number }
    | { readonly target: 'lease'; readonly lease: number }
  );

export type TxnOp = PutCommand | DeleteRangeCommand | RangeQuery | TxnCommand;

export interface TxnCommand {
  readonly type: 'txn';
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
  readonly as?: AuthIdentity;
}

/** What `decodeCommand` returns for bytes that are not a valid command; apply answers it with an error. */
export interface InvalidCommand {
  readonly type: 'invalid';
  readonly reason: string;
}

/** etcd's Compact: forget the history below `revision` (does not change the store revision). */
export interface CompactCommand {
  readonly type: 'compact';
  readonly revision: number;
}

export type KvCommand = PutCommand | DeleteRangeCommand | TxnCommand | CompactCommand | LeaseCommand | AuthCommand | MemberAttrsCommand | InvalidCommand;
export type KvQuery = RangeQuery;

/** `revision` on every result is the store revision once the command took effect. */
export interface PutResult {
  readonly type: 'put';
  readonly ok: true;
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface RangeResult {
  readonly type: 'range';
  readonly ok: true;
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** Number of keys in the range, before `limit` and the revision filters. */
  readonly count: number;
  /** More keys matched than `limit` let through. */
  readonly more: boolean;
}

export interface DeleteRangeResult {
  readonly type: 'deleteRange';
  readonly ok: true;
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

export interface TxnResult {
  readonly type: 'txn';
  readonly ok: true;
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: readonly TxnOpResult[];
}

export type TxnOpResult = PutResult | DeleteRangeResult | RangeResult | TxnResult;

/** A command or query that was rejected; the store is unchanged. */
export interface KvFailure {
  readonly type: 'error';
  readonly ok: false;
  readonly revision: number;
  readonly code: KvErrorCode | AuthErrorCode;
  readonly message: string;
}

export interface CompactResult {
  readonly type: 'compact';
  readonly ok: true;
  /** The store revision when the compaction was applied. */
  readonly revision: number;
}

export type KvResult = PutResult | DeleteRangeResult | TxnResult | CompactResult | LeaseResult | AuthResult | MemberAttrsResult | KvFailure;
export type KvQueryResult = RangeResult | KvFailure;

/** The result type of a given command type, for typed wrappers around `apply`/`propose`. */
export type KvResultOf<C extends KvCommand> =
  | (C extends PutCommand
      ? PutResult
      : C extends DeleteRangeCommand
        ? DeleteRangeResult
        : C extends TxnCommand
          ? TxnResult
          : C extends CompactCommand
            ? CompactResult
            : C extends LeaseGrantCommand
              ? LeaseGrantResult
              : C extends LeaseKeepAliveCommand
                ? LeaseKeepAliveResult
                : C extends LeaseRevokeCommand
                  ? LeaseRevokeResult
                  : C extends AuthCommand
                    ? AuthResult
                    : C extends MemberAttrsCommand
                      ? MemberAttrsResult
                      : never)
  | KvFailure;

export interface WatchOptions extends KeyRange {
  /** Include the previous key-value in each event. */
  readonly prevKv?: boolean;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key with `modRevision` set to the deleting revision, other fields zero. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** The events of one revision that match a watcher, in the order the command made them. */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
  /** The batch is the difference made by installing a snapshot, not by one command. */
  readonly restored?: boolean;
}

export type WatchListener = (batch: WatchBatch) => void;
