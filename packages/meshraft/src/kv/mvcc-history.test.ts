/** MVCC history: reads at past revisions, Compact, watch replay, snapshots and the memory bound. */
import { describe, expect, it } from 'vitest';
import { harness } from './__tests__/kv-harness.js';
import { bytesToString } from './bytes.js';
import { deleteRange, put, range, txn } from './kv-commands.js';
import { KvErrorCode } from './kv-errors.js';
import { createKvStateMachine } from './kv-state-machine.js';
import type { KvQueryResult } from './kv-types.js';
import { pack } from './msgpack.js';

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
