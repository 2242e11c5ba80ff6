/**
 * @module kv-compare
 * etcd's txn compares on the keys of one range, as the KV state machine evaluates them.
 */
import { EMPTY_BYTES, compareBytes } from './bytes.js';
import type { Compare, KeyValue } from './kv-types.js';

const ZERO_KV: KeyValue = {
  key: EMPTY_BYTES,
  value: EMPTY_BYTES,
  createRevision: 0,
  modRevision: 0,
  version: 0,
  lease: 0,
};

function compareKv(kv: KeyValue, c: Compare): boolean {
  // Each numeric compare carries its operand in the field its target names.
  const d = c.target === 'value' ? compareBytes(kv.value, c.value) : kv[c.target] - (c as unknown as Record<typeof c.target, number>)[c.target];
  switch (c.result) {
    case 'equal':
      return d === 0;
    case 'notEqual':
      return d !== 0;
    case 'greater':
      return d > 0;
    case 'less':
      return d < 0;
  }
}

/** Whether `c` holds for the keys it names (`kvs`, the keys present in its range). */
export function compareHolds(kvs: readonly KeyValue[], c: Compare): boolean {
  // etcd: a value compare on a missing key fails; other targets compare the missing key as zeros.
  if (kvs.length === 0) return c.target === 'value' ? false : compareKv(ZERO_KV, c);
  return kvs.every((kv) => compareKv(kv, c));
}
