/**
 * @module kv-command-parser
 * Structural checks of commands and queries that arrive as untyped data (decoded entry bytes, or
 * JavaScript callers). A parsed command holds only known fields with the right types; anything
 * else is a KV_INVALID_COMMAND error, so replicas agree on what is applied.
 */
import { KvError, KvErrorCode } from './kv-errors.js';
import type {
  Compare,
  CompareResult,
  DeleteRangeCommand,
  KvCommand,
  PutCommand,
  RangeQuery,
  SortOrder,
  SortTarget,
  TxnCommand,
  TxnOp,
} from './kv-types.js';
import type { Bytes } from './bytes.js';
import { parseAuthCommand, parseAuthIdentity } from './auth-codec.js';
import { parseMemberAttrsCommand } from './member-attrs.js';

/** Nested txns deeper than this are rejected, which bounds recursion on hostile input. */
export const MAX_TXN_DEPTH = 8;

type Fields = Record<string, unknown>;

function invalid(path: string, what: string): KvError {
  return new KvError(KvErrorCode.InvalidCommand, `${path}: ${what}`);
}

function object(x: unknown, path: string): Fields {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array) {
    throw invalid(path, 'expected an object');
  }
  return x as Fields;
}

function bytes(x: unknown, path: string): Bytes {
  if (!(x instanceof Uint8Array)) throw invalid(path, 'expected bytes');
  return x;
}

function optBytes(x: unknown, path: string): Bytes | undefined {
  return x === undefined || x === null ? undefined : bytes(x, path);
}

function count(x: unknown, path: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw invalid(path, 'expected a non-negative safe integer');
  }
  return x;
}

function leaseId(x: unknown, path: string): number {
  const id = count(x, path);
  if (id === 0) throw invalid(path, 'expected a lease id above 0');
  return id;
}

function optCount(x: unknown, path: string): number | undefined {
  return x === undefined || x === null ? undefined : count(x, path);
}

function optBool(x: unknown, path: string): boolean | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'boolean') throw invalid(path, 'expected a boolean');
  return x;
}

function oneOf<T extends string>(x: unknown, allowed: readonly T[], path: string): T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
    throw invalid(path, `expected one of ${allowed.join(', ')}`);
  }
  return x as T;
}

function array(x: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(x)) throw invalid(path, 'expected an array');
  return x;
}

/** Copy only the set optional fields so absent stays absent (encodings stay small and stable). */
function withOptional<T extends object>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out as T;
}

export function parsePut(f: Fields, path: string): PutCommand {
  // Copies: the store keeps these arrays, so a caller reusing its buffers cannot change stored state.
  const key = new Uint8Array(bytes(f.key, `${path}.key`));
  const value = new Uint8Array(bytes(f.value, `${path}.value`));
  return withOptional<PutCommand>(
    { type: 'put', key, value },
    {
      lease: optCount(f.lease, `${path}.lease`),
      prevKv: optBool(f.prevKv, `${path}.prevKv`),
      ignoreValue: optBool(f.ignoreValue, `${path}.ignoreValue`),
      ignoreLease: optBool(f.ignoreLease, `${path}.ignoreLease`),
    },
  );
}

export function parseDeleteRange(f: Fields, path: string): DeleteRangeCommand {
  return withOptional<DeleteRangeCommand>(
    { type: 'deleteRange', key: bytes(f.key, `${path}.key`) },
    {
      rangeEnd: optBytes(f.rangeEnd, `${path}.rangeEnd`),
      prevKv: optBool(f.prevKv, `${path}.prevKv`),
    },
  );
}

const SORT_ORDERS: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const SORT_TARGETS: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];

export function parseRange(f: Fields, path: string): RangeQuery {
  return withOptional<RangeQuery>(
    { type: 'range', key: bytes(f.key, `${path}.key`) },
    {
      rangeEnd: optBytes(f.rangeEnd, `${path}.rangeEnd`),
      limit: optCount(f.limit, `${path}.limit`),
      revision: optCount(f.revision, `${path}.revision`),
      sortOrder: f.sortOrder == null ? undefined : oneOf(f.sortOrder, SORT_ORDERS, `${path}.sortOrder`),
      sortTarget:
        f.sortTarget == null ? undefined : oneOf(f.sortTarget, SORT_TARGETS, `${path}.sortTarget`),
      keysOnly: optBool(f.keysOnly, `${path}.keysOnly`),
      countOnly: optBool(f.countOnly, `${path}.countOnly`),
      minModRevision: optCount(f.minModRevision, `${path}.minModRevision`),
      maxModRevision: optCount(f.maxModRevision, `${path}.maxModRevision`),
      minCreateRevision: optCount(f.minCreateRevision, `${path}.minCreateRevision`),
      maxCreateRevision: optCount(f.maxCreateRevision, `${path}.maxCreateRevision`),
    },
  );
}

const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'notEqual', 'greater', 'less'];

function parseCompare(x: unknown, path: string): Compare {
  const f = object(x, path);
  const key = bytes(f.key, `${path}.key`);
  const rangeEnd = optBytes(f.rangeEnd, `${path}.rangeEnd`);
  const result = oneOf(f.result, COMPARE_RESULTS, `${path}.result`);
  const range = rangeEnd === undefined ? { key } : { key, rangeEnd };
  const target = oneOf(
    f.target,
    ['value', 'version', 'createRevision', 'modRevision', 'lease'] as const,
    `${path}.target`,
  );
  switch (target) {
    case 'value':
      return { ...range, result, target, value: bytes(f.value, `${path}.value`) };
    case 'version':
      return { ...range, result, target, version: count(f.version, `${path}.version`) };
    case 'createRevision':
      return {
        ...range,
        result,
        target,
        createRevision: count(f.createRevision, `${path}.createRevision`),
      };
    case 'modRevision':
      return { ...range, result, target, modRevision: count(f.modRevision, `${path}.modRevision`) };
    case 'lease':
      return { ...range, result, target, lease: count(f.lease, `${path}.lease`) };
  }
}

function parseTxnOp(x: unknown, path: string, depth: number): TxnOp {
  const f = object(x, path);
  switch (f.type) {
    case 'put':
      return parsePut(f, path);
    case 'deleteRange':
      return parseDeleteRange(f, path);
    case 'range':
      return parseRange(f, path);
    case 'txn':
      return parseTxn(f, path, depth + 1);
    default:
      throw invalid(`${path}.type`, 'expected put, deleteRange, range or txn');
  }
}

export function parseTxn(f: Fields, path: string, depth = 0): TxnCommand {
  if (depth >= MAX_TXN_DEPTH) throw invalid(path, `txns nest deeper than ${MAX_TXN_DEPTH}`);
  return {
    type: 'txn',
    compare: array(f.compare ?? [], `${path}.compare`).map((c, i) =>
      parseCompare(c, `${path}.compare[${i}]`),
    ),
    success: array(f.success ?? [], `${path}.success`).map((o, i) =>
      parseTxnOp(o, `${path}.success[${i}]`, depth),
    ),
    failure: array(f.failure ?? [], `${path}.failure`).map((o, i) =>
      parseTxnOp(o, `${path}.failure[${i}]`, depth),
    ),
  };
}

/** Check an untyped value is a KV command; throws KvError(KV_INVALID_COMMAND) if it is not. */
export function parseKvCommand(x: unknown): KvCommand {
  const f = object(x, 'command');
  // Who proposed a write: only the top level carries it.
  const as = parseAuthIdentity(f.as);
  const withAs = <T extends object>(c: T): T => (as ? { ...c, as } : c);
  switch (f.type) {
    case 'put':
      return withAs(parsePut(f, 'command'));
    case 'deleteRange':
      return withAs(parseDeleteRange(f, 'command'));
    case 'txn':
      return withAs(parseTxn(f, 'command'));
    case 'auth':
      return parseAuthCommand(f);
    case 'compact':
      return { type: 'compact', revision: count(f.revision, 'command.revision') };
    case 'leaseGrant':
      return { type: 'leaseGrant', id: leaseId(f.id, 'command.id'), ttl: count(f.ttl, 'command.ttl') };
    case 'leaseKeepAlive':
      return { type: 'leaseKeepAlive', id: leaseId(f.id, 'command.id') };
    case 'leaseRevoke':
      return withAs(withOptional<KvCommand>({ type: 'leaseRevoke', id: leaseId(f.id, 'command.id') }, { refreshes: optCount(f.refreshes, 'command.refreshes') }));
    case 'memberAttrs':
      return parseMemberAttrsCommand(f);
    case 'invalid':
      return { type: 'invalid', reason: typeof f.reason === 'string' ? f.reason : 'invalid command' };
    default:
      throw invalid('command.type', 'expected put, deleteRange, txn, compact, leaseGrant, leaseKeepAlive, leaseRevoke, auth or memberAttrs');
  }
}

/** Check an untyped value is a range query; throws KvError(KV_INVALID_COMMAND) if it is not. */
export function parseKvQuery(x: unknown): RangeQuery {
  const f = object(x, 'query');
  if (f.type !== 'range') throw invalid('query.type', 'expected range');
  return parseRange(f, 'query');
}
