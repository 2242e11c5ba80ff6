/**
 * @module grpc/messages
 * etcd's protobuf messages (as @grpc/proto-loader decodes them: snake_case fields, int64 as
 * decimal strings, enums by name, oneofs named) <-> the KV state machine's commands and results.
 */
import {
  MAX_TXN_DEPTH,
  type Compare,
  type DeleteRangeCommand,
  type KeyValue,
  type PutCommand,
  type RangeQuery,
  type RangeResult,
  type SortOrder,
  type SortTarget,
  type TxnCommand,
  type TxnOp,
  type TxnOpResult,
  type TxnResult,
  type WatchEvent,
} from 'meshraft/kv';
import { badRequest } from '../etcd-errors.js';
import type { KvMember, ResponseIdentity } from '../kv-client.js';
import { toEtcdId } from '../member-id.js';

/** A decoded message: the loader's plain objects. */
export type Msg = Record<string, unknown>;

const EMPTY = new Uint8Array(0);

export function bytes(m: Msg, name: string): Uint8Array {
  const v = m[name];
  return v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : EMPTY;
}

/** int64 fields: decimal strings; 0 means unset. Negative values are refused as etcd's checks do. */
export function int(m: Msg, name: string): number {
  const v = m[name];
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : 0;
  if (!Number.isSafeInteger(n)) throw badRequest(`etcdserver: ${name} out of range`);
  return n;
}

function nonNegative(m: Msg, name: string): number | undefined {
  const n = int(m, name);
  return n <= 0 ? undefined : n;
}

function flag(m: Msg, name: string): boolean | undefined {
  return m[name] === true ? true : undefined;
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function rangeEnd(m: Msg): { rangeEnd?: Uint8Array } {
  const end = bytes(m, 'range_end');
  return end.length > 0 ? { rangeEnd: end } : {};
}

const SORT_ORDERS: Record<string, SortOrder> = { NONE: 'none', ASCEND: 'ascend', DESCEND: 'descend' };
const SORT_TARGETS: Record<string, SortTarget> = { KEY: 'key', VERSION: 'version', CREATE: 'create', MOD: 'mod', VALUE: 'value' };

export function toRange(m: Msg): { query: RangeQuery; serializable: boolean } {
  const query = compact<RangeQuery>({
    type: 'range',
    key: bytes(m, 'key'),
    ...rangeEnd(m),
    limit: nonNegative(m, 'limit'),
    revision: nonNegative(m, 'revision'),
    sortOrder: SORT_ORDERS[String(m.sort_order)] ?? 'none',
    sortTarget: SORT_TARGETS[String(m.sort_target)] ?? 'key',
    keysOnly: flag(m, 'keys_only'),
    countOnly: flag(m, 'count_only'),
    minModRevision: nonNegative(m, 'min_mod_revision'),
    maxModRevision: nonNegative(m, 'max_mod_revision'),
    minCreateRevision: nonNegative(m, 'min_create_revision'),
    maxCreateRevision: nonNegative(m, 'max_create_revision'),
  });
  return { query, serializable: m.serializable === true };
}

export function toPut(m: Msg): PutCommand {
  return compact<PutCommand>({
    type: 'put',
    key: bytes(m, 'key'),
    value: bytes(m, 'value'),
    lease: nonNegative(m, 'lease'),
    prevKv: flag(m, 'prev_kv'),
    ignoreValue: flag(m, 'ignore_value'),
    ignoreLease: flag(m, 'ignore_lease'),
  });
}

export function toDeleteRange(m: Msg): DeleteRangeCommand {
  return compact<DeleteRangeCommand>({ type: 'deleteRange', key: bytes(m, 'key'), ...rangeEnd(m), prevKv: flag(m, 'prev_kv') });
}

const RESULTS = { EQUAL: 'equal', GREATER: 'greater', LESS: 'less', NOT_EQUAL: 'notEqual' } as const;

function toCompare(m: Msg): Compare {
  const base = { key: bytes(m, 'key'), ...rangeEnd(m), result: RESULTS[String(m.result) as keyof typeof RESULTS] ?? 'equal' };
  switch (m.target) {
    case 'CREATE':
      return { ...base, target: 'createRevision', createRevision: int(m, 'create_revision') };
    case 'MOD':
      return { ...base, target: 'modRevision', modRevision: int(m, 'mod_revision') };
    case 'VALUE':
      return { ...base, target: 'value', value: bytes(m, 'value') };
    case 'LEASE':
      return { ...base, target: 'lease', lease: int(m, 'lease') };
    default:
      return { ...base, target: 'version', version: int(m, 'version') };
  }
}

function toOp(m: Msg, depth: number): TxnOp {
  const inner = (name: string) => (m[name] ?? {}) as Msg;
  switch (m.request) {
    case 'request_range':
      return toRange(inner('request_range')).query;
    case 'request_put':
      return toPut(inner('request_put'));
    case 'request_delete_range':
      return toDeleteRange(inner('request_delete_range'));
    case 'request_txn':
      return toTxn(inner('request_txn'), depth + 1);
    default:
      throw badRequest('etcdserver: a RequestOp sets none of its requests');
  }
}

export function toTxn(m: Msg, depth = 0): TxnCommand {
  if (depth >= MAX_TXN_DEPTH) throw badRequest(`etcdserver: txns nest deeper than ${MAX_TXN_DEPTH}`);
  const list = (name: string) => (Array.isArray(m[name]) ? (m[name] as Msg[]) : []);
  return {
    type: 'txn',
    compare: list('compare').map(toCompare),
    success: list('success').map((o) => toOp(o, depth)),
    failure: list('failure').map((o) => toOp(o, depth)),
  };
}

/** Bytes a request carries in keys and values: the part of etcd's size check that matters. */
export function payloadBytes(m: unknown): number {
  if (m instanceof Uint8Array) return m.byteLength;
  if (Array.isArray(m)) return m.reduce((n: number, x) => n + payloadBytes(x), 0);
  if (typeof m === 'object' && m !== null) return Object.values(m).reduce((n: number, x) => n + payloadBytes(x), 0);
  return typeof m === 'string' ? m.length : 8;
}

// ---- responses ----

export function header(id: ResponseIdentity, revision: number): Msg {
  return { cluster_id: toEtcdId(id.clusterId), member_id: toEtcdId(id.memberId), revision: String(revision), raft_term: String(id.raftTerm) };
}

export function kvMsg(kv: KeyValue): Msg {
  return {
    key: kv.key,
    create_revision: String(kv.createRevision),
    mod_revision: String(kv.modRevision),
    version: String(kv.version),
    value: kv.value,
    lease: String(kv.lease),
  };
}

export function rangeMsg(r: RangeResult, h: Msg): Msg {
  return { header: h, kvs: r.kvs.map(kvMsg), more: r.more, count: String(r.count) };
}

function opMsg(r: TxnOpResult): Msg {
  const h = { revision: String(r.revision) };
  switch (r.type) {
    case 'put':
      return { response_put: { header: h, ...(r.prevKv && { prev_kv: kvMsg(r.prevKv) }) } };
    case 'range':
      return { response_range: rangeMsg(r, h) };
    case 'deleteRange':
      return { response_delete_range: { header: h, deleted: String(r.deleted), prev_kvs: (r.prevKvs ?? []).map(kvMsg) } };
    case 'txn':
      return { response_txn: txnMsg(r, h) };
  }
}

export function txnMsg(r: TxnResult, h: Msg): Msg {
  return { header: h, succeeded: r.succeeded, responses: r.responses.map(opMsg) };
}

export function eventMsg(e: WatchEvent, prevKv: boolean): Msg {
  return { type: e.type === 'delete' ? 'DELETE' : 'PUT', kv: kvMsg(e.kv), ...(prevKv && e.prevKv && { prev_kv: kvMsg(e.prevKv) }) };
}

export function memberMsg(m: KvMember): Msg {
  return { ID: toEtcdId(m.id), name: m.name, peerURLs: [...m.peerUrls], clientURLs: [...m.clientUrls], isLearner: m.isLearner };
}
