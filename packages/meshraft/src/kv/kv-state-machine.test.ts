import { describe, expect, it } from 'vitest';
import { harness, show } from './__tests__/kv-harness.js';
import { cas, deleteRange, put, range, txn } from './kv-commands.js';
import { createKvStateMachine } from './kv-state-machine.js';
import { KvErrorCode } from './kv-errors.js';
import type { KvQueryResult, KvResult, RangeResult, TxnResult } from './kv-types.js';
import { bytesToString, toBytes } from './bytes.js';

function ok<T extends KvResult | KvQueryResult>(r: T): Exclude<T, { ok: false }> {
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.message}`);
  return r as Exclude<T, { ok: false }>;
}

function okTxn(r: KvResult): TxnResult {
  const x = ok(r);
  if (x.type !== 'txn') throw new Error(`expected a txn result, got ${x.type}`);
  return x;
}

function keys(r: KvQueryResult): string[] {
  return ok(r).kvs.map((kv) => bytesToString(kv.key));
}

describe('revisions and versions (etcd model)', () => {
  it('starts at revision 1 and bumps once per put', () => {
    const h = harness();
    expect(h.sm.revision).toBe(1);
    expect(ok(h.apply(put('a', '1'))).revision).toBe(2);
    expect(ok(h.apply(put('b', '1'))).revision).toBe(3);
    expect(ok(h.apply(put('a', '2'))).revision).toBe(4);
    const r = ok(h.sm.query(range('a')));
    expect(r.revision).toBe(4);
    expect(show(r.kvs[0])).toEqual({ key: 'a', value: '2', create: 2, mod: 4, version: 2 });
  });

  it('delete resets version and create_revision; re-put starts over', () => {
    const h = harness();
    h.apply(put('k', 'v1'));
    h.apply(put('k', 'v2'));
    const del = ok(h.apply(deleteRange('k', { prevKv: true })));
    expect(del.deleted).toBe(1);
    expect(del.revision).toBe(4);
    expect(show(del.prevKvs?.[0])).toEqual({ key: 'k', value: 'v2', create: 2, mod: 3, version: 2 });
    expect(ok(h.sm.query(range('k'))).count).toBe(0);
    h.apply(put('k', 'v3'));
    expect(show(ok(h.sm.query(range('k'))).kvs[0])).toEqual({ key: 'k', value: 'v3', create: 5, mod: 5, version: 1 });
  });

  it('a delete of nothing does not bump the revision', () => {
    const h = harness();
    h.apply(put('a', '1'));
    const r = ok(h.apply(deleteRange('zzz')));
    expect(r.deleted).toBe(0);
    expect(r.revision).toBe(2);
    expect(h.sm.revision).toBe(2);
  });

  it('put returns prev_kv only when asked and only if the key existed', () => {
    const h = harness();
    expect(ok(h.apply(put('a', '1', { prevKv: true }))).prevKv).toBeUndefined();
    expect(ok(h.apply(put('a', '2'))).prevKv).toBeUndefined();
    expect(show(ok(h.apply(put('a', '3', { prevKv: true }))).prevKv)).toEqual({
      key: 'a',
      value: '2',
      create: 2,
      mod: 3,
      version: 2,
    });
  });

  it('ignoreValue keeps the value, and needs an existing key and no new value', () => {
    const h = harness();
    expect(h.apply(put('a', '', { ignoreValue: true }))).toMatchObject({ ok: false, code: KvErrorCode.KeyNotFound });
    h.apply(put('a', 'keep'));
    expect(h.apply(put('a', 'x', { ignoreValue: true }))).toMatchObject({ ok: false, code: KvErrorCode.ValueProvided });
    ok(h.apply(put('a', '', { ignoreValue: true })));
    expect(show(ok(h.sm.query(range('a'))).kvs[0])).toMatchObject({ value: 'keep', version: 2 });
  });

  it('keeps its own copy of bytes applied directly, so callers may reuse buffers', () => {
    const sm = createKvStateMachine();
    const key = toBytes('k');
    const value = toBytes('v1');
    sm.apply(put(key, value), { index: 1, term: 1 });
    value[1] = 0x39;
    key[0] = 0x78;
    expect(show(ok(sm.query(range('k'))).kvs[0])).toMatchObject({ value: 'v1' });
  });

  it('rejects empty keys and leases', () => {
    const h = harness();
    expect(h.apply(put('', 'x'))).toMatchObject({ ok: false, code: KvErrorCode.EmptyKey, revision: 1 });
    expect(h.apply(deleteRange(''))).toMatchObject({ ok: false, code: KvErrorCode.EmptyKey });
    expect(h.sm.query(range(''))).toMatchObject({ ok: false, code: KvErrorCode.EmptyKey });
    expect(h.apply(put('a', 'x', { lease: 7 }))).toMatchObject({ ok: false, code: KvErrorCode.LeaseNotFound });
    expect(h.sm.revision).toBe(1);
  });
});

describe('range', () => {
  function seeded() {
    const h = harness();
    for (const k of ['a', 'foo', 'foo/1', 'foo/2', 'foo/3', 'fop', 'z']) h.apply(put(k, `v-${k}`));
    return h;
  }

  it('single key, [key, end), prefix and \\0 (all keys >= key)', () => {
    const h = seeded();
    expect(keys(h.sm.query(range('foo')))).toEqual(['foo']);
    expect(keys(h.sm.query(range('foo/', { prefix: true })))).toEqual(['foo/1', 'foo/2', 'foo/3']);
    expect(keys(h.sm.query(range('foo', { prefix: true })))).toEqual(['foo', 'foo/1', 'foo/2', 'foo/3']);
    expect(keys(h.sm.query(range('foo/2', { rangeEnd: 'fop' })))).toEqual(['foo/2', 'foo/3']);
    expect(keys(h.sm.query(range('fop', { rangeEnd: '\0' })))).toEqual(['fop', 'z']);
    expect(keys(h.sm.query(range('\0', { rangeEnd: '\0' })))).toHaveLength(7);
    // An end at or before the key selects nothing.
    expect(keys(h.sm.query(range('z', { rangeEnd: 'a' })))).toEqual([]);
  });

  it('limit sets more; count is the whole range', () => {
    const h = seeded();
    const r = ok(h.sm.query(range('foo', { prefix: true, limit: 2 })));
    expect(keys(r)).toEqual(['foo', 'foo/1']);
    expect(r.more).toBe(true);
    expect(r.count).toBe(4);
    const all = ok(h.sm.query(range('foo', { prefix: true, limit: 4 })));
    expect(all.more).toBe(false);
  });

  it('count_only and keys_only', () => {
    const h = seeded();
    const c = ok(h.sm.query(range('foo/', { prefix: true, countOnly: true, limit: 1 })));
    expect(c.kvs).toEqual([]);
    expect(c.count).toBe(3);
    expect(c.more).toBe(false);
    const k = ok(h.sm.query(range('foo/', { prefix: true, keysOnly: true })));
    expect(k.kvs.map((kv) => [bytesToString(kv.key), kv.value.length])).toEqual([
      ['foo/1', 0],
      ['foo/2', 0],
      ['foo/3', 0],
    ]);
    expect(k.kvs[0]!.version).toBe(1);
  });

  it('sorts by target and order, ties in key order; a target alone sorts ascending', () => {
    const h = seeded();
    h.apply(put('foo/1', 'again'));
    const desc = h.sm.query(range('foo/', { prefix: true, sortOrder: 'descend' }));
    expect(keys(desc)).toEqual(['foo/3', 'foo/2', 'foo/1']);
    const byMod = h.sm.query(range('foo/', { prefix: true, sortTarget: 'mod' }));
    expect(keys(byMod)).toEqual(['foo/2', 'foo/3', 'foo/1']);
    const byVersionDesc = h.sm.query(range('foo/', { prefix: true, sortTarget: 'version', sortOrder: 'descend', limit: 1 }));
    expect(keys(byVersionDesc)).toEqual(['foo/1']);
    expect((byVersionDesc as RangeResult).more).toBe(true);
    const byValue = h.sm.query(range('foo/', { prefix: true, sortTarget: 'value', sortOrder: 'ascend' }));
    expect(keys(byValue)).toEqual(['foo/1', 'foo/2', 'foo/3']);
  });

  it('filters on mod and create revisions', () => {
    const h = seeded(); // foo/1 at 4, foo/2 at 5, foo/3 at 6
    expect(keys(h.sm.query(range('foo/', { prefix: true, minModRevision: 5 })))).toEqual(['foo/2', 'foo/3']);
    expect(keys(h.sm.query(range('foo/', { prefix: true, maxCreateRevision: 4 })))).toEqual(['foo/1']);
  });

  it('reads the current revision, refuses a future one (history: mvcc-history.test.ts)', () => {
    const h = seeded();
    const rev = h.sm.revision;
    expect(ok(h.sm.query(range('a', { revision: rev }))).count).toBe(1);
    expect(h.sm.query(range('a', { revision: rev + 1 }))).toMatchObject({ ok: false, code: KvErrorCode.FutureRevision });
  });

  it('handles binary keys in byte order', () => {
    const h = harness();
    const k = (...b: number[]) => new Uint8Array(b);
    for (const key of [k(0xff), k(0x00, 0x01), k(0x80), k(0x7f, 0xff), k(0xff, 0xff)]) h.apply(put(key, 'v'));
    const all = ok(h.sm.query(range(k(0), { rangeEnd: k(0) })));
    expect(all.kvs.map((kv) => [...kv.key])).toEqual([[0x00, 0x01], [0x7f, 0xff], [0x80], [0xff], [0xff, 0xff]]);
    // The prefix end of 0xff is unbounded.
    expect(ok(h.sm.query(range(k(0xff), { prefix: true }))).count).toBe(2);
  });
});

describe('txn', () => {
  it('compares value, version, create and mod revision with every operator', () => {
    const h = harness();
    h.apply(put('k', 'm')); // rev 2
    h.apply(put('k', 'm')); // rev 3, version 2
    const key = toBytes('k');
    const cases: Array<[Parameters<typeof txn>[0][number], boolean]> = [
      [{ key, target: 'value', result: 'equal', value: toBytes('m') }, true],
      [{ key, target: 'value', result: 'notEqual', value: toBytes('m') }, false],
      [{ key, target: 'value', result: 'greater', value: toBytes('a') }, true],
      [{ key, target: 'value', result: 'less', value: toBytes('a') }, false],
      [{ key, target: 'version', result: 'equal', version: 2 }, true],
      [{ key, target: 'version', result: 'greater', version: 2 }, false],
      [{ key, target: 'createRevision', result: 'equal', createRevision: 2 }, true],
      [{ key, target: 'createRevision', result: 'less', createRevision: 3 }, true],
      [{ key, target: 'modRevision', result: 'equal', modRevision: 3 }, true],
      [{ key, target: 'modRevision', result: 'notEqual', modRevision: 3 }, false],
      [{ key, target: 'lease', result: 'equal', lease: 0 }, true],
    ];
    for (const [compare, expected] of cases) {
      const r = okTxn(h.apply(txn([compare], [])));
      expect([compare, r.succeeded]).toEqual([compare, expected]);
    }
    // Read-only txns do not bump the revision.
    expect(h.sm.revision).toBe(3);
  });

  it('missing keys: version/create/mod compare as 0, a value compare always fails', () => {
    const h = harness();
    const key = toBytes('missing');
    expect(okTxn(h.apply(txn([{ key, target: 'version', result: 'equal', version: 0 }], []))).succeeded).toBe(true);
    expect(okTxn(h.apply(txn([{ key, target: 'modRevision', result: 'less', modRevision: 1 }], []))).succeeded).toBe(true);
    expect(okTxn(h.apply(txn([{ key, target: 'value', result: 'notEqual', value: toBytes('x') }], []))).succeeded).toBe(
      false,
    );
  });

  it('a compare over a range must hold for every key in it', () => {
    const h = harness();
    h.apply(put('p/a', '1'));
    h.apply(put('p/b', '2'));
    const c = (v: string) => ({ key: toBytes('p/'), rangeEnd: toBytes('p0'), target: 'value' as const, result: 'greater' as const, value: toBytes(v) });
    expect(okTxn(h.apply(txn([c('0')], []))).succeeded).toBe(true);
    expect(okTxn(h.apply(txn([c('1')], []))).succeeded).toBe(false);
  });

  it('is one revision; reads inside see earlier writes; responses follow the branch', () => {
    const h = harness();
    h.apply(put('x', '0'));
    const r = okTxn(
      h.apply(
        txn(
          [{ key: toBytes('x'), target: 'value', result: 'equal', value: toBytes('0') }],
          [put('x', '1'), put('y', '1'), range('x'), deleteRange('nothing')],
          [put('never', '1')],
        ),
      ),
    );
    expect(r.succeeded).toBe(true);
    expect(r.revision).toBe(3);
    expect(r.responses.map((x) => x.type)).toEqual(['put', 'put', 'range', 'deleteRange']);
    const read = r.responses[2] as RangeResult;
    expect(show(read.kvs[0])).toEqual({ key: 'x', value: '1', create: 2, mod: 3, version: 2 });
    expect(show(ok(h.sm.query(range('y'))).kvs[0])).toMatchObject({ create: 3, mod: 3 });
    expect(ok(h.sm.query(range('never'))).count).toBe(0);
  });

  it('decides nested txn branches on the state before any write', () => {
    const h = harness();
    const inner = txn([{ key: toBytes('a'), target: 'version', result: 'equal', version: 0 }], [put('inner', 'saw-no-a')], [put('inner', 'saw-a')]);
    const r = okTxn(h.apply(txn([], [put('a', '1'), inner])));
    expect(r.responses[1]).toMatchObject({ type: 'txn', succeeded: true });
    expect(bytesToString(ok(h.sm.query(range('inner'))).kvs[0]!.value)).toBe('saw-no-a');
  });

  it('rejects duplicate writes, put-inside-delete, and too many ops, changing nothing', () => {
    const h = harness();
    h.apply(put('a', '0'));
    const dup = h.apply(txn([], [put('a', '1'), put('a', '2')]));
    expect(dup).toMatchObject({ ok: false, code: KvErrorCode.DuplicateKey, revision: 2 });
    expect(h.apply(txn([], [deleteRange('a', { prefix: true }), put('ab', '1')]))).toMatchObject({
      code: KvErrorCode.DuplicateKey,
    });
    expect(h.apply(txn([], [put('n', '1'), txn([], [put('n', '2')])]))).toMatchObject({ code: KvErrorCode.DuplicateKey });
    // The same key in both branches is fine: only one runs.
    okTxn(h.apply(txn([], [put('b', '1')], [put('b', '2')])));
    const small = harness(createKvStateMachine({ maxTxnOps: 2 }));
    expect(small.apply(txn([], [put('a', '1'), put('b', '1'), put('c', '1')]))).toMatchObject({
      code: KvErrorCode.TooManyOps,
    });
  });

  it('rolls back every write when a later op fails', () => {
    const h = harness();
    h.apply(put('a', '0'));
    const before = h.sm.snapshot();
    const r = h.apply(txn([], [put('a', '1'), deleteRange('a0', { rangeEnd: 'z' }), put('zz', '', { ignoreValue: true })]));
    expect(r).toMatchObject({ ok: false, code: KvErrorCode.KeyNotFound, revision: 2 });
    expect(h.sm.snapshot()).toEqual(before);
  });

  it('cas: compare-and-set via the txn builder, including create-if-absent', () => {
    const h = harness();
    expect(okTxn(h.apply(cas('lock', null, 'me'))).succeeded).toBe(true);
    const lost = okTxn(h.apply(cas('lock', null, 'you')));
    expect(lost.succeeded).toBe(false);
    expect(bytesToString((lost.responses[0] as RangeResult).kvs[0]!.value)).toBe('me');
    expect(okTxn(h.apply(cas('lock', 'me', 'you'))).succeeded).toBe(true);
    expect(okTxn(h.apply(cas('lock', 'me', 'again'))).succeeded).toBe(false);
  });
});
