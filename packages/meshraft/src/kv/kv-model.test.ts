/**
 * The store checked against a naive model (a plain list, sorted and filtered from scratch on each
 * read), as etcd-io/raft checks its quorum code against a naive version. Seeded; a failure names
 * its seed.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { harness } from './__tests__/kv-harness.js';
import { bytesToBinary, compareBytes, toBytes } from './bytes.js';
import { deleteRange, put, range, txn } from './kv-commands.js';
import type { KeyValue, RangeQuery, SortOrder, SortTarget } from './kv-types.js';

interface Model {
  revision: number;
  kvs: Map<string, KeyValue>;
}

function modelRange(m: Model, q: RangeQuery): { kvs: KeyValue[]; count: number; more: boolean } {
  const start = bytesToBinary(q.key);
  const inRange = (k: string) => {
    if (q.rangeEnd === undefined) return k === start;
    if (q.rangeEnd.length === 1 && q.rangeEnd[0] === 0) return k >= start;
    return k >= start && k < bytesToBinary(q.rangeEnd);
  };
  let all = [...m.kvs.entries()].filter(([k]) => inRange(k)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, kv]) => kv);
  const count = all.length;
  all = all.filter(
    (kv) =>
      (!q.minModRevision || kv.modRevision >= q.minModRevision) &&
      (!q.maxModRevision || kv.modRevision <= q.maxModRevision) &&
      (!q.minCreateRevision || kv.createRevision >= q.minCreateRevision) &&
      (!q.maxCreateRevision || kv.createRevision <= q.maxCreateRevision),
  );
  const target = q.sortTarget ?? 'key';
  const order = q.sortOrder ?? 'none';
  if (target !== 'key' || order === 'descend') {
    const val = (kv: KeyValue) =>
      target === 'version' ? kv.version : target === 'create' ? kv.createRevision : target === 'mod' ? kv.modRevision : 0;
    const cmp = (a: KeyValue, b: KeyValue) =>
      target === 'key' ? compareBytes(a.key, b.key) : target === 'value' ? compareBytes(a.value, b.value) : val(a) - val(b);
    all.sort((a, b) => (order === 'descend' ? -cmp(a, b) : cmp(a, b)));
  }
  const limit = q.limit ?? 0;
  const more = limit > 0 && all.length > limit;
  return { kvs: more ? all.slice(0, limit) : all, count, more };
}

function modelPut(m: Model, key: string, value: string, rev: number): void {
  const prev = m.kvs.get(bytesToBinary(toBytes(key)));
  m.kvs.set(bytesToBinary(toBytes(key)), {
    key: toBytes(key),
    value: toBytes(value),
    createRevision: prev ? prev.createRevision : rev,
    modRevision: rev,
    version: prev ? prev.version + 1 : 1,
    lease: 0,
  });
}

const KEYS = ['a', 'a/1', 'a/2', 'a/3', 'ab', 'b', 'b/x', 'c', '\u00ff', '\u00ff\u00ff'];
const SEEDS = [1, 2, 3, 4, 5, 99, 2024];

describe('KV store vs naive model', () => {
  it.each(SEEDS)('random puts, deletes, txns and ranges agree (--seed %i)', (seed) => {
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const h = harness();
    const m: Model = { revision: 1, kvs: new Map() };
    const randomRange = (): RangeQuery => {
      const key = pick(KEYS);
      const r = rand();
      const opts = {
        limit: rand() < 0.3 ? 1 + Math.floor(rand() * 4) : undefined,
        sortOrder: rand() < 0.3 ? pick<SortOrder>(['none', 'ascend', 'descend']) : undefined,
        sortTarget: rand() < 0.3 ? pick<SortTarget>(['key', 'version', 'create', 'mod', 'value']) : undefined,
        minModRevision: rand() < 0.15 ? Math.floor(rand() * m.revision) : undefined,
        maxCreateRevision: rand() < 0.15 ? Math.floor(rand() * m.revision) : undefined,
      };
      if (r < 0.3) return range(key, opts);
      if (r < 0.6) return range(key, { ...opts, prefix: true });
      if (r < 0.8) return range(key, { ...opts, rangeEnd: pick(KEYS) });
      return range(key, { ...opts, rangeEnd: '\0' });
    };
    for (let step = 0; step < 600; step++) {
      const r = rand();
      if (r < 0.4) {
        const key = pick(KEYS);
        const value = `v${step}`;
        const res = h.apply(put(key, value));
        m.revision++;
        modelPut(m, key, value, m.revision);
        expect([seed, step, res.revision]).toEqual([seed, step, m.revision]);
      } else if (r < 0.55) {
        const q = randomRange();
        const doomed = modelRange(m, { type: 'range', key: q.key, ...(q.rangeEnd ? { rangeEnd: q.rangeEnd } : {}) }).kvs;
        const res = h.apply(deleteRange(q.key, q.rangeEnd ? { rangeEnd: q.rangeEnd } : {}));
        if (doomed.length > 0) m.revision++;
        for (const kv of doomed) m.kvs.delete(bytesToBinary(kv.key));
        expect([seed, step, res.ok && res.deleted, res.revision]).toEqual([seed, step, doomed.length, m.revision]);
      } else if (r < 0.7) {
        // A txn guarded by one key's version; both branches put distinct keys.
        const g = pick(KEYS);
        const version = Math.floor(rand() * 3);
        const [k1, k2] = [pick(KEYS), pick(KEYS)];
        const res = h.apply(txn([{ key: toBytes(g), target: 'version', result: 'equal', version }], [put(k1, 's')], [put(k2, 'f')]));
        const held = (m.kvs.get(bytesToBinary(toBytes(g)))?.version ?? 0) === version;
        m.revision++;
        modelPut(m, held ? k1 : k2, held ? 's' : 'f', m.revision);
        expect([seed, step, res.ok && res.succeeded]).toEqual([seed, step, held]);
      } else {
        const q = randomRange();
        const got = h.sm.query(q);
        const want = modelRange(m, q);
        expect([seed, step, got.ok && got.count, got.ok && got.more]).toEqual([seed, step, want.count, want.more]);
        const keysOf = (kvs: readonly KeyValue[]) => kvs.map((kv) => [bytesToBinary(kv.key), kv.modRevision, kv.version]);
        if (got.ok) expect([seed, step, keysOf(got.kvs)]).toEqual([seed, step, keysOf(want.kvs)]);
      }
    }
    expect(h.sm.revision).toBe(m.revision);
  });
});
