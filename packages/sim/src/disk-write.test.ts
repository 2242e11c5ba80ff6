import { describe, expect, it } from 'vitest';
import { EntryType, type Entry, type Ready } from '@meshraft/core';
import { mergeEntries, mergeReadies, needsWrite } from './disk-write.js';

const e = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index, term]) });
const ready = (over: Partial<Ready>): Ready => ({ entries: [], committedEntries: [], messages: [], readStates: [], mustSync: false, ...over });
const ids = (es: readonly Entry[]) => es.map((x) => `${x.index}/t${x.term}`);

describe('merging queued Readies into one disk write', () => {
  it('appends consecutive entry lists', () => {
    const m = mergeEntries([[e(5, 1), e(6, 1)], [], [e(7, 1)]]);
    expect(ids(m.entries)).toEqual(['5/t1', '6/t1', '7/t1']);
    expect(m.truncated).toBe(false);
  });

  it('lets a later list replace every earlier entry at or above its first index', () => {
    expect(ids(mergeEntries([[e(5, 1), e(6, 1), e(7, 1)], [e(6, 2)]]).entries)).toEqual(['5/t1', '6/t2']);
    // A suffix starting below everything queued replaces all of it.
    const m = mergeEntries([[e(5, 1), e(6, 1)], [e(3, 2), e(4, 2)]]);
    expect(ids(m.entries)).toEqual(['3/t2', '4/t2']);
    expect(m.truncated).toBe(true);
  });

  it('keeps the latest hard state and writes a snapshot only alone', () => {
    const w = mergeReadies([
      ready({ entries: [e(1, 1)], hardState: { term: 1, vote: 'a', commit: 0 } }),
      ready({ hardState: { term: 2, vote: 'b', commit: 1 } }),
      ready({ entries: [e(2, 2)] }),
    ]);
    expect(w.hardState).toEqual({ term: 2, vote: 'b', commit: 1 });
    expect(ids(w.entries)).toEqual(['1/t1', '2/t2']);
    const snap = { metadata: { index: 9, term: 2, confState: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array([1]) };
    expect(mergeReadies([ready({ snapshot: snap })]).snapshot).toBe(snap);
    expect(() => mergeReadies([ready({ entries: [e(1, 1)] }), ready({ snapshot: snap })])).toThrow(/alone/);
  });

  it('tells Readies that need no write apart', () => {
    expect(needsWrite(ready({}))).toBe(false);
    expect(needsWrite(ready({ hardState: { term: 1, vote: null, commit: 1 } }))).toBe(true);
    expect(needsWrite(ready({ entries: [e(1, 1)] }))).toBe(true);
  });
});
