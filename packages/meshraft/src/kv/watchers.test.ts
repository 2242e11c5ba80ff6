import { describe, expect, it } from 'vitest';
import { harness, show } from './__tests__/kv-harness.js';
import { deleteRange, put, txn } from './kv-commands.js';
import { createKvStateMachine } from './kv-state-machine.js';
import { toBytes, prefixRangeEnd, bytesToString } from './bytes.js';
import type { WatchBatch } from './kv-types.js';

function summary(b: WatchBatch) {
  return { revision: b.revision, events: b.events.map((e) => `${e.type} ${bytesToString(e.kv.key)}`) };
}

describe('watch', () => {
  it('delivers put and delete events of one key with prev kv when asked', () => {
    const h = harness();
    const got: WatchBatch[] = [];
    h.sm.watch({ key: toBytes('k'), prevKv: true }, (b) => got.push(b));
    h.apply(put('k', 'v1'));
    h.apply(put('other', 'x'));
    h.apply(put('k', 'v2'));
    h.apply(deleteRange('k'));
    expect(got.map(summary)).toEqual([
      { revision: 2, events: ['put k'] },
      { revision: 4, events: ['put k'] },
      { revision: 5, events: ['delete k'] },
    ]);
    expect(got[0]!.events[0]!.prevKv).toBeUndefined();
    expect(show(got[1]!.events[0]!.prevKv)).toEqual({ key: 'k', value: 'v1', create: 2, mod: 2, version: 1 });
    const del = got[2]!.events[0]!;
    expect(show(del.kv)).toEqual({ key: 'k', value: '', create: 0, mod: 5, version: 0 });
    expect(show(del.prevKv)).toMatchObject({ value: 'v2', version: 2 });
  });

  it('prefix watchers see a txn as one batch at one revision; prev kv omitted unless asked', () => {
    const h = harness();
    h.apply(put('app/a', '0'));
    const got: WatchBatch[] = [];
    h.sm.watch({ key: toBytes('app/'), rangeEnd: prefixRangeEnd('app/') }, (b) => got.push(b));
    h.apply(txn([], [put('app/a', '1'), put('app/b', '1'), put('elsewhere', '1'), deleteRange('app/c')]));
    expect(got.map(summary)).toEqual([{ revision: 3, events: ['put app/a', 'put app/b'] }]);
    expect(got[0]!.events[0]!.prevKv).toBeUndefined();
  });

  it('failed commands and read-only txns emit nothing; unsubscribe stops delivery', () => {
    const h = harness();
    const got: WatchBatch[] = [];
    const stop = h.sm.watch({ key: toBytes('\0'), rangeEnd: toBytes('\0') }, (b) => got.push(b));
    h.apply(txn([], [put('a', '1'), put('a', '2')]));
    h.apply(txn([], []));
    expect(got).toEqual([]);
    h.apply(put('a', '1'));
    expect(h.sm.watchCount).toBe(1);
    stop();
    expect(h.sm.watchCount).toBe(0);
    h.apply(put('a', '2'));
    expect(got.map(summary)).toEqual([{ revision: 2, events: ['put a'] }]);
  });

  it('a throwing listener does not break apply or other watchers', async () => {
    const h = harness();
    const got: number[] = [];
    const thrown: unknown[] = [];
    const onError = (err: unknown) => thrown.push(err);
    process.on('uncaughtException', onError);
    try {
      h.sm.watch({ key: toBytes('a') }, () => {
        throw new Error('listener bug');
      });
      h.sm.watch({ key: toBytes('a') }, (b) => got.push(b.revision));
      expect(h.apply(put('a', '1')).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 0));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(got).toEqual([2]);
    expect(thrown).toHaveLength(1);
  });

  it('restore tells watchers what the snapshot changed', () => {
    const source = harness();
    source.apply(put('a', 'new'));
    source.apply(put('b', 'same'));
    const target = harness();
    target.apply(put('b', 'same')); // same content but different revisions: still reported
    target.apply(put('c', 'gone'));
    const got: WatchBatch[] = [];
    target.sm.watch({ key: toBytes('\0'), rangeEnd: toBytes('\0') }, (b) => got.push(b));
    target.sm.restore(source.sm.snapshot());
    expect(got.map(summary)).toEqual([{ revision: 3, events: ['put a', 'put b', 'delete c'] }]);
    expect(got[0]!.restored).toBe(true);
    const again: WatchBatch[] = [];
    const twin = createKvStateMachine();
    twin.restore(source.sm.snapshot());
    twin.watch({ key: toBytes('a') }, (b) => again.push(b));
    twin.restore(source.sm.snapshot());
    expect(again).toEqual([]);
  });
});
