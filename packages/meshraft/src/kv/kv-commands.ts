/**
 * @module kv-commands
 * Builders for commands and queries that take strings or bytes, so callers need not spell out
 * the byte-level shapes. `cas` is compare-and-set written as the txn etcd clients use for it.
 */
import { prefixRangeEnd, toBytes, type BytesLike } from './bytes.js';
import { KvError } from './kv-errors.js';
import type {
  Compare,
  DeleteRangeCommand,
  KvFailure,
  PutCommand,
  RangeQuery,
  TxnCommand,
  TxnOp,
} from './kv-types.js';

export interface RangeOptions extends Omit<RangeQuery, 'type' | 'key' | 'rangeEnd'> {
  /** Treat `key` as a prefix. */
  readonly prefix?: boolean;
  readonly rangeEnd?: BytesLike;
}

function keyRange(key: BytesLike, opts: { prefix?: boolean; rangeEnd?: BytesLike }) {
  const k = toBytes(key);
  if (opts.prefix) return { key: k, rangeEnd: prefixRangeEnd(k) };
  return opts.rangeEnd === undefined ? { key: k } : { key: k, rangeEnd: toBytes(opts.rangeEnd) };
}

export function put(
  key: BytesLike,
  value: BytesLike,
  opts: Omit<PutCommand, 'type' | 'key' | 'value'> = {},
): PutCommand {
  return { ...opts, type: 'put', key: toBytes(key), value: toBytes(value) };
}

export function range(key: BytesLike, opts: RangeOptions = {}): RangeQuery {
  const { prefix, rangeEnd, ...rest } = opts;
  return { ...rest, type: 'range', ...keyRange(key, { prefix, rangeEnd }) };
}

export function deleteRange(
  key: BytesLike,
  opts: { prefix?: boolean; rangeEnd?: BytesLike; prevKv?: boolean } = {},
): DeleteRangeCommand {
  const cmd: DeleteRangeCommand = { type: 'deleteRange', ...keyRange(key, opts) };
  return opts.prevKv ? { ...cmd, prevKv: true } : cmd;
}

export function txn(compare: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[] = []): TxnCommand {
  return { type: 'txn', compare, success, failure };
}

/**
 * Compare-and-set: put `value` if the key's current value is `expected`, or, with `expected`
 * null, only if the key does not exist. The txn fails otherwise and returns the current key.
 */
export function cas(key: BytesLike, expected: BytesLike | null, value: BytesLike): TxnCommand {
  const k = toBytes(key);
  const guard: Compare =
    expected === null
      ? { key: k, target: 'version', result: 'equal', version: 0 }
      : { key: k, target: 'value', result: 'equal', value: toBytes(expected) };
  return txn([guard], [put(k, value)], [{ type: 'range', key: k }]);
}

/** Return a successful result, or throw the failure as a KvError. */
export function unwrapKvResult<R extends { ok: boolean }>(result: R | KvFailure): Exclude<R, KvFailure> {
  if (!result.ok) {
    const f = result as KvFailure;
    throw new KvError(f.code, f.message);
  }
  return result as Exclude<R, KvFailure>;
}
