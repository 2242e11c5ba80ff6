/**
 * @module etcd-request
 * etcd's JSON request bodies (the protobuf JSON mapping grpc-gateway accepts) → KV commands.
 * Field names may be the proto names (`range_end`) or lowerCamelCase (`rangeEnd`); bytes are
 * base64; int64s are decimal strings or numbers; enums are names or numbers; null means default;
 * unknown fields are ignored. Anything else is a 400 (EtcdGatewayError).
 */
import type {
  Compare,
  CompareResult,
  DeleteRangeCommand,
  PutCommand,
  RangeQuery,
  SortOrder,
  SortTarget,
  TxnCommand,
  TxnOp,
} from 'meshraft/kv';
import { MAX_TXN_DEPTH } from 'meshraft/kv';
import { badRequest } from '../etcd-errors.js';

type Json = Record<string, unknown>;

const BASE64 = /^(?:[A-Za-z0-9+/\-_]{4})*(?:[A-Za-z0-9+/\-_]{2}(?:==)?|[A-Za-z0-9+/\-_]{3}=?)?$/;

/** Field names are a small fixed set, looked up on every request: convert each once. */
const camelNames = new Map<string, string>();

function camel(name: string): string {
  let c = camelNames.get(name);
  if (c === undefined) camelNames.set(name, (c = name.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase())));
  return c;
}

function field(obj: Json, name: string): unknown {
  const v = obj[name] ?? obj[camel(name)];
  return v === null ? undefined : v;
}

export function asObject(x: unknown, what: string): Json {
  if (x === undefined) return {};
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw badRequest(`${what}: expected a JSON object`);
  return x as Json;
}

function bytesField(obj: Json, name: string, what: string): Uint8Array | undefined {
  const v = field(obj, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !BASE64.test(v)) throw badRequest(`${what}.${name}: expected base64 bytes`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function intField(obj: Json, name: string, what: string): number | undefined {
  const v = field(obj, name);
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`${what}.${name}: expected an integer`);
  if (n < 0) throw badRequest(`${what}.${name}: must not be negative`);
  return n === 0 ? undefined : n;
}

function boolField(obj: Json, name: string, what: string): boolean | undefined {
  const v = field(obj, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${what}.${name}: expected true or false`);
  return v || undefined;
}

function enumField<T>(
  obj: Json,
  name: string,
  names: readonly string[],
  values: readonly T[],
  what: string,
  given: unknown = field(obj, name),
): T {
  const v = given ?? 0;
  const i = typeof v === 'string' ? names.indexOf(v) : typeof v === 'number' ? v : -1;
  const out = Number.isInteger(i) ? values[i] : undefined;
  if (out === undefined) throw badRequest(`${what}.${name}: expected one of ${names.join(', ')}`);
  return out;
}

function arrayField(obj: Json, name: string, what: string): readonly unknown[] {
  const v = field(obj, name);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badRequest(`${what}.${name}: expected an array`);
  return v;
}

/** Drop undefined fields so commands carry only what the client set. */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}

const EMPTY = new Uint8Array(0);

export function parsePutRequest(body: Json, what = 'put'): PutCommand {
  return compact<PutCommand>({
    type: 'put',
    key: bytesField(body, 'key', what) ?? EMPTY,
    value: bytesField(body, 'value', what) ?? EMPTY,
    lease: intField(body, 'lease', what),
    prevKv: boolField(body, 'prev_kv', what),
    ignoreValue: boolField(body, 'ignore_value', what),
    ignoreLease: boolField(body, 'ignore_lease', what),
  });
}

/** The range request and whether the client accepts a serializable (local) read. */
export function parseRangeRequest(body: Json, what = 'range'): { query: RangeQuery; serializable: boolean } {
  const query = compact<RangeQuery>({
    type: 'range',
    key: bytesField(body, 'key', what) ?? EMPTY,
    rangeEnd: bytesField(body, 'range_end', what),
    limit: intField(body, 'limit', what),
    revision: intField(body, 'revision', what),
    sortOrder: enumField<SortOrder>(body, 'sort_order', ['NONE', 'ASCEND', 'DESCEND'], ['none', 'ascend', 'descend'], what),
    sortTarget: enumField<SortTarget>(
      body,
      'sort_target',
      ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'],
      ['key', 'version', 'create', 'mod', 'value'],
      what,
    ),
    keysOnly: boolField(body, 'keys_only', what),
    countOnly: boolField(body, 'count_only', what),
    minModRevision: intField(body, 'min_mod_revision', what),
    maxModRevision: intField(body, 'max_mod_revision', what),
    minCreateRevision: intField(body, 'min_create_revision', what),
    maxCreateRevision: intField(body, 'max_create_revision', what),
  });
  return { query, serializable: boolField(body, 'serializable', what) === true };
}

export function parseDeleteRangeRequest(body: Json, what = 'deleterange'): DeleteRangeCommand {
  return compact<DeleteRangeCommand>({
    type: 'deleteRange',
    key: bytesField(body, 'key', what) ?? EMPTY,
    rangeEnd: bytesField(body, 'range_end', what),
    prevKv: boolField(body, 'prev_kv', what),
  });
}

const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'greater', 'less', 'notEqual'];
const COMPARE_TARGETS = ['version', 'createRevision', 'modRevision', 'value', 'lease'] as const;

function parseCompare(x: unknown, what: string): Compare {
  const c = asObject(x, what);
  const key = bytesField(c, 'key', what) ?? EMPTY;
  const rangeEnd = bytesField(c, 'range_end', what);
  const base = rangeEnd === undefined ? { key } : { key, rangeEnd };
  const result = enumField(c, 'result', ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'], COMPARE_RESULTS, what);
  const target = enumField(c, 'target', ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'], COMPARE_TARGETS, what);
  switch (target) {
    case 'value':
      return { ...base, result, target, value: bytesField(c, 'value', what) ?? EMPTY };
    case 'version':
      return { ...base, result, target, version: intField(c, 'version', what) ?? 0 };
    case 'createRevision':
      return { ...base, result, target, createRevision: intField(c, 'create_revision', what) ?? 0 };
    case 'modRevision':
      return { ...base, result, target, modRevision: intField(c, 'mod_revision', what) ?? 0 };
    case 'lease':
      return { ...base, result, target, lease: intField(c, 'lease', what) ?? 0 };
  }
}

function parseRequestOp(x: unknown, what: string, depth: number): TxnOp {
  const op = asObject(x, what);
  const set = ['request_range', 'request_put', 'request_delete_range', 'request_txn'].filter(
    (name) => field(op, name) !== undefined,
  );
  if (set.length !== 1) throw badRequest(`${what}: expected exactly one of request_range, request_put, request_delete_range, request_txn`);
  const name = set[0]!;
  const inner = asObject(field(op, name), `${what}.${name}`);
  switch (name) {
    case 'request_range':
      return parseRangeRequest(inner, `${what}.${name}`).query;
    case 'request_put':
      return parsePutRequest(inner, `${what}.${name}`);
    case 'request_delete_range':
      return parseDeleteRangeRequest(inner, `${what}.${name}`);
    default:
      return parseTxnRequest(inner, `${what}.${name}`, depth + 1);
  }
}

export function parseTxnRequest(body: Json, what = 'txn', depth = 0): TxnCommand {
  if (depth >= MAX_TXN_DEPTH) throw badRequest(`${what}: txns nest deeper than ${MAX_TXN_DEPTH}`);
  return {
    type: 'txn',
    compare: arrayField(body, 'compare', what).map((c, i) => parseCompare(c, `${what}.compare[${i}]`)),
    success: arrayField(body, 'success', what).map((o, i) => parseRequestOp(o, `${what}.success[${i}]`, depth)),
    failure: arrayField(body, 'failure', what).map((o, i) => parseRequestOp(o, `${what}.failure[${i}]`, depth)),
  };
}

/** A parsed `/v3/watch` create_request. */
export interface WatchCreateRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0: from now on. */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly watchId: number;
}

/** The body of `/v3/watch`: one `create_request` (the HTTP gateway cannot cancel mid-stream). */
export function parseWatchRequest(body: Json): WatchCreateRequest {
  if (field(body, 'cancel_request') !== undefined || field(body, 'progress_request') !== undefined) {
    throw badRequest('watch: only create_request is supported over HTTP; close the stream to cancel');
  }
  const what = 'watch.create_request';
  const c = asObject(field(body, 'create_request'), what);
  const filters = arrayField(c, 'filters', what).map((f, i) =>
    enumField(c, 'filters', ['NOPUT', 'NODELETE'], ['noPut', 'noDelete'] as const, `${what}[${i}]`, f),
  );
  const rangeEnd = bytesField(c, 'range_end', what);
  return {
    key: bytesField(c, 'key', what) ?? EMPTY,
    ...(rangeEnd === undefined ? {} : { rangeEnd }),
    startRevision: intField(c, 'start_revision', what) ?? 0,
    prevKv: boolField(c, 'prev_kv', what) === true,
    noPut: filters.includes('noPut'),
    noDelete: filters.includes('noDelete'),
    watchId: intField(c, 'watch_id', what) ?? 0,
  };
}

/** A signed int64 (etcd clamps a TTL of zero or less to its minimum, so negatives are valid). */
function signedField(obj: Json, name: string, what: string): number {
  const v = field(obj, name);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`${what}.${name}: expected an integer`);
  return n;
}

/** `/v3/lease/grant`: TTL (signed) and ID (0: the server picks one). */
export function parseLeaseGrantRequest(body: Json): { ttl: number; id: number } {
  return { ttl: signedField(body, 'TTL', 'lease'), id: intField(body, 'ID', 'lease') ?? 0 };
}

/** `/v3/lease/revoke`, `/v3/lease/keepalive` and `/v3/lease/timetolive` (with `keys`). */
export function parseLeaseIdRequest(body: Json): { id: number; keys: boolean } {
  return { id: intField(body, 'ID', 'lease') ?? 0, keys: boolField(body, 'keys', 'lease') === true };
}

/** `/v3/kv/compaction`: the revision to compact to (`physical` is accepted and moot). */
export function parseCompactionRequest(body: Json): number {
  boolField(body, 'physical', 'compaction');
  return intField(body, 'revision', 'compaction') ?? 0;
}
