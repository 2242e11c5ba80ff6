/** MVCC history: reads at past revisions, Compact, watch replay, snapshots and the memory bound. */
import { describe, expect, it, vi } from 'vitest';
import { harness } from './__tests__/kv-harness.js';
import { bytesToBinary, bytesToString } from './bytes.js';
import { deleteRange, put, range, txn } from './kv-commands.js';
import { KvErrorCode } from './kv-errors.js';
import { createKvStateMachine } from './kv-state-machine.js';
import type { KvQueryResult } from './kv-types.js';
import { pack } from './msgpack.js';
import { KeyIndex } from './key-index.js';
import { MvccHistory } from './mvcc-history.js';
import type { Change } from './watchers.js';

function view(r: KvQueryResult): string[] {
  if (!r.ok) return [`error ${r.code}`];
  return r.kvs.map((kv) => `${bytesToString(kv.key)}=${bytesToString(kv.value)}@${kv.modRevision}/v${kv.version}`);
}

/** rev 2: a=1, 3: b=1, 4: a=2, 5: delete a, 6: txn c=1 b=2, 7: a=3 (created again) */
function history() {
  const h = harness();
  h.apply(put('a', '1'));
  h.apply(put('b', '1'));
  h.apply(put('a', '2'));
  h.apply(deleteRange('a'));
  h.apply(txn([], [put('c', '1'), put('b', '2')]));
  h.apply(put('a', '3'));
  return h;
}

const all = (revision: number) => range('\0', { rangeEnd: '\0', revision });

describe('MVCC history', () => {
  it('serves every past revision exactly as it was', () => {
    const h = history();
    expect(h.sm.revision).toBe(7);
    expect(view(h.sm.query(all(1)))).toEqual([]);
    expect(view(h.sm.query(all(2)))).toEqual(['a=1@2/v1']);
    expect(view(h.sm.query(all(3)))).toEqual(['a=1@2/v1', 'b=1@3/v1']);
    expect(view(h.sm.query(all(4)))).toEqual(['a=2@4/v2', 'b=1@3/v1']);
    expect(view(h.sm.query(all(5)))).toEqual(['b=1@3/v1']);
    expect(view(h.sm.query(all(6)))).toEqual(['b=2@6/v2', 'c=1@6/v1']);
    expect(view(h.sm.query(all(7)))).toEqual(['a=3@7/v1', 'b=2@6/v2', 'c=1@6/v1']);
    // Single keys, counts and sorting work at a past revision too.
    expect(view(h.sm.query(range('a', { revision: 4 })))).toEqual(['a=2@4/v2']);
    expect(h.sm.query(range('\0', { rangeEnd: '\0', revision: 4, countOnly: true }))).toMatchObject({ count: 2 });
    expect(view(h.sm.query(range('\0', { rangeEnd: '\0', revision: 6, sortOrder: 'descend' })))).toEqual(['c=1@6/v1', 'b=2@6/v2']);
  });

  it('a range inside a txn reads a past revision', () => {
    const h = history();
    const r = h.apply(txn([], [range('a', { revision: 2 })]));
    expect(r.ok && r.type === 'txn' && r.responses[0]!.type === 'range' ? view(r.responses[0]!) : r).toEqual(['a=1@2/v1']);
  });

  it('Compact forgets older revisions, keeps the compaction point, refuses repeats and the future', () => {
    const h = history();
    expect(h.apply({ type: 'compact', revision: 4 })).toEqual({ type: 'compact', ok: true, revision: 7 });
    expect(h.sm.compactRevision).toBe(4);
    expect(h.sm.query(all(3))).toMatchObject({ ok: false, code: KvErrorCode.Compacted });
    expect(view(h.sm.query(all(4)))).toEqual(['a=2@4/v2', 'b=1@3/v1']);
    expect(view(h.sm.query(all(5)))).toEqual(['b=1@3/v1']);
    expect(h.apply({ type: 'compact', revision: 4 })).toMatchObject({ ok: false, code: KvErrorCode.Compacted });
    expect(h.apply({ type: 'compact', revision: 8 })).toMatchObject({ ok: false, code: KvErrorCode.FutureRevision });
    expect(h.sm.revision).toBe(7);
  });

  it('replay gives the revisions from startRevision, in order, filtered to the range', () => {
    const h = history();
    const r = h.sm.replay({ key: new TextEncoder().encode('a'), prevKv: true }, 3);
    expect(r.ok && r.batches.map((b) => [b.revision, b.events.map((e) => `${e.type}:${bytesToString(e.kv.value)}:${e.prevKv ? bytesToString(e.prevKv.value) : '-'}`)])).toEqual([
      [4, ['put:2:1']],
      [5, ['delete::2']],
      [7, ['put:3:-']],
    ]);
    h.apply({ type: 'compact', revision: 5 });
    expect(h.sm.replay({ key: new TextEncoder().encode('a') }, 4)).toEqual({ ok: false, compactRevision: 5 });
    expect(h.sm.replay({ key: new TextEncoder().encode('a') }, 5)).toMatchObject({ ok: true, batches: [{ revision: 5 }, { revision: 7 }] });
  });

  it('history travels in snapshots, byte-identically', () => {
    const h = history();
    h.apply({ type: 'compact', revision: 3 });
    const restored = createKvStateMachine();
    restored.restore(h.sm.snapshot());
    expect(restored.compactRevision).toBe(3);
    for (let rev = 3; rev <= 7; rev++) expect(view(restored.query(all(rev)))).toEqual(view(h.sm.query(all(rev))));
    expect(restored.query(all(2))).toMatchObject({ ok: false, code: KvErrorCode.Compacted });
    expect(restored.snapshot()).toEqual(h.sm.snapshot());
  });

  it('reads format-1 snapshots (no history: everything before the revision is compacted)', () => {
    const sm = createKvStateMachine();
    const key = new TextEncoder().encode('k');
    sm.restore(pack([1, 5, key, new TextEncoder().encode('v'), 5, 5, 1, 0]));
    expect(view(sm.query(range('k')))).toEqual(['k=v@5/v1']);
    expect(sm.compactRevision).toBe(5);
    expect(sm.query(range('k', { revision: 4 }))).toMatchObject({ ok: false, code: KvErrorCode.Compacted });
  });

  it('the history bound compacts the oldest revisions at apply time, the same on every replica', () => {
    const a = harness(createKvStateMachine({ historyLimitBytes: 10_000 }));
    const b = harness(createKvStateMachine({ historyLimitBytes: 10_000 }));
    for (let i = 0; i < 200; i++) for (const h of [a, b]) h.apply(put(`k${i % 7}`, 'x'.repeat(100)));
    expect(a.sm.historyBytes).toBeLessThanOrEqual(10_000);
    expect(a.sm.compactRevision).toBeGreaterThan(100);
    expect(a.sm.compactRevision).toBe(b.sm.compactRevision);
    expect(a.sm.snapshot()).toEqual(b.sm.snapshot());
    expect(a.sm.query(all(a.sm.compactRevision - 1))).toMatchObject({ ok: false, code: KvErrorCode.Compacted });
    expect(a.sm.query(all(a.sm.compactRevision))).toMatchObject({ ok: true, count: 7 });
  });
});

describe('MvccHistory as a full history compacts one revision per write', () => {
  const change = (rev: number, valueBytes: number): Change => {
    const key = new Uint8Array([97 + (rev % 3)]);
    return { binaryKey: bytesToBinary(key), event: { type: 'put', kv: { key, value: new Uint8Array(valueBytes), createRevision: rev, modRevision: rev, version: 1, lease: 0 } } };
  };

  it('keeps exactly the newest revisions that fit, and since/all/indexAt see only those', () => {
    // Each revision counts 2 × 64 bookkeeping bytes + 1 key byte + its value; the bound holds ~10.
    const h = new MvccHistory(10 * (128 + 1 + 50));
    const model: number[] = [];
    for (let rev = 2; rev < 500; rev++) {
      const size = 50 + (rev % 7); // sizes vary, so how many revisions fit varies too
      h.record(rev, [change(rev, size)]);
      model.push(rev);
      let bytes = model.reduce((s, r) => s + 128 + 1 + 50 + (r % 7), 0);
      while (bytes > 10 * (128 + 1 + 50) && model.length > 1) {
        const dropped = model.shift()!;
        bytes -= 128 + 1 + 50 + (dropped % 7);
      }
      expect(h.length).toBe(model.length);
      expect(h.compactRevision).toBe(model[0] === 2 ? 1 : model[0]);
      expect(h.all().map((r) => r.revision)).toEqual(model);
      const from = model[Math.floor(model.length / 2)]!;
      expect([...h.since(from)].map((r) => r.revision)).toEqual(model.filter((r) => r >= from));
      expect([...h.since(0)].map((r) => r.revision)).toEqual(model);
    }
    // Undoing a put without a previous value deletes its key: two revisions back, the two newest
    // revisions' keys are gone and the third key is left.
    const at = (rev: number) => {
      const index = new KeyIndex();
      index.load(['a', 'b', 'c'].map((k) => ({ key: new TextEncoder().encode(k), value: new Uint8Array(1), createRevision: 1, modRevision: 1, version: 1, lease: 0 })));
      return [...h.indexAt(index, { start: '', end: null }, rev).entries()].map(([k]) => k);
    };
    const last = model[model.length - 1]!;
    expect(at(last - 2)).toEqual([String.fromCharCode(97 + ((last - 2) % 3))]);
    expect(at(last)).toEqual(['a', 'b', 'c']);
  });

  it('copies O(1) revisions per write once full, amortized (FOUND-BUGS 15)', () => {
    // Counted, not timed: every element the history copies goes through Array.prototype.slice.
    const h = new MvccHistory(1000 * (128 + 1 + 10));
    for (let rev = 2; rev < 2000; rev++) h.record(rev, [change(rev, 10)]);
    let copied = 0;
    const slice = vi.spyOn(Array.prototype, 'slice').mockImplementation(function (this: unknown[], ...args: [number?, number?]) {
      const out = Array.prototype.concat.call([], this).splice(...((args.length ? args : [0]) as [number, number]));
      copied += out.length;
      return out;
    });
    try {
      for (let rev = 2000; rev < 6000; rev++) h.record(rev, [change(rev, 10)]);
    } finally {
      slice.mockRestore();
    }
    expect(h.length).toBe(1000);
    // The old code copied the whole history (1,000 revisions) on each of these 4,000 writes.
    expect(copied).toBeLessThanOrEqual(2 * 4000);
  });

  it('an explicit compaction after many implicit ones drops the right prefix', () => {
    const h = new MvccHistory(5 * (128 + 1 + 10));
    for (let rev = 2; rev < 100; rev++) h.record(rev, [change(rev, 10)]);
    const kept = h.all().map((r) => r.revision);
    h.compact(kept[2]!);
    expect(h.all().map((r) => r.revision)).toEqual(kept.slice(2));
    expect(h.compactRevision).toBe(kept[2]);
    h.load(7, []);
    expect(h.length).toBe(0);
    h.record(8, [change(8, 10)]);
    expect(h.all().map((r) => r.revision)).toEqual([8]);
  });
});
