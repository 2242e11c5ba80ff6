/**
 * @module kv-range
 * Reads over the key index with etcd's Range semantics: `count` is the number of keys in the
 * range; revision filters, sorting and `limit` then shape `kvs`, and `more` says keys were cut.
 */
import { EMPTY_BYTES, compareBytes } from './bytes.js';
import type { KeyIndex } from './key-index.js';
import { toBinaryRange } from './key-index.js';
import type { KeyValue, RangeQuery, SortTarget } from './kv-types.js';

/** The parts of a RangeResult that depend on the data (the caller adds type and revision). */
export interface RangeOutcome {
  readonly kvs: readonly KeyValue[];
  readonly count: number;
  readonly more: boolean;
}

function sortValue(kv: KeyValue, target: Exclude<SortTarget, 'key' | 'value'>): number {
  switch (target) {
    case 'version':
      return kv.version;
    case 'create':
      return kv.createRevision;
    case 'mod':
      return kv.modRevision;
  }
}

function hasFilters(q: RangeQuery): boolean {
  return Boolean(q.minModRevision || q.maxModRevision || q.minCreateRevision || q.maxCreateRevision);
}

function passesFilters(kv: KeyValue, q: RangeQuery): boolean {
  if (q.minModRevision && kv.modRevision < q.minModRevision) return false;
  if (q.maxModRevision && kv.modRevision > q.maxModRevision) return false;
  if (q.minCreateRevision && kv.createRevision < q.minCreateRevision) return false;
  if (q.maxCreateRevision && kv.createRevision > q.maxCreateRevision) return false;
  return true;
}

export function evaluateRange(index: KeyIndex, q: RangeQuery): RangeOutcome {
  const r = toBinaryRange(q);
  const count = index.countRange(r);
  const limit = q.limit ?? 0;
  const target = q.sortTarget ?? 'key';
  // etcd: a sort target without an order means ascending.
  const order = q.sortOrder === undefined || q.sortOrder === 'none' ? (target === 'key' ? 'none' : 'ascend') : q.sortOrder;
  const keyOrder = target === 'key' && order !== 'descend';

  let kvs: KeyValue[] = [];
  if (keyOrder && !hasFilters(q) && limit > 0) {
    // Index order is the answer: stop one past the limit, enough to know about `more`.
    for (const kv of index.range(r)) {
      kvs.push(kv);
      if (kvs.length > limit) break;
    }
  } else {
    for (const kv of index.range(r)) if (passesFilters(kv, q)) kvs.push(kv);
    if (target === 'key') {
      if (order === 'descend') kvs.reverse();
    } else {
      const sign = order === 'descend' ? -1 : 1;
      // Array.prototype.sort is stable, so ties stay in key order on every replica.
      kvs.sort((a, b) =>
        sign * (target === 'value' ? compareBytes(a.value, b.value) : sortValue(a, target) - sortValue(b, target)),
      );
    }
  }
  const more = limit > 0 && kvs.length > limit;
  if (more) kvs = kvs.slice(0, limit);
  // etcd counts without fetching for count_only, so nothing is cut off and `more` stays false.
  if (q.countOnly) return { kvs: [], count, more: false };
  if (q.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
  return { kvs, count, more };
}
