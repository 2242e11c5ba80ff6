import { describe, expect, it } from 'vitest';
import { CompactedError, UnavailableError } from './errors.js';
import { LogGapError, MemoryStorage, SnapshotOutOfDateError } from './memory-storage.js';
import { EntryType, type Entry } from './types.js';

const e = (index: number, term: number, bytes = 0): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new Uint8Array(bytes),
});

function withLog(...terms: number[]): MemoryStorage {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => e(i + 1, t, 10)));
  return s;
}

describe('MemoryStorage', () => {
  it('starts empty with the dummy entry at index 0', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(s.entries(1, 1)).toEqual([]);
  });

  it('keeps the founding configuration in initialState and the snapshot', () => {
    const cs = { voters: ['a', 'b'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const s = new MemoryStorage({ confState: cs });
    expect(s.initialState().confState).toEqual(cs);
    expect(s.snapshot().metadata.confState).toEqual(cs);
  });

  it('appends and truncates a conflicting suffix', () => {
    const s = withLog(1, 1, 2, 2);
    s.append([e(3, 3), e(4, 3), e(5, 3)]);
    expect(s.lastIndex()).toBe(5);
    expect([1, 2, 3, 4, 5].map((i) => s.term(i))).toEqual([1, 1, 3, 3, 3]);
    s.append([e(2, 4)]);
    expect(s.lastIndex()).toBe(2);
    expect(s.term(2)).toBe(4);
  });

  it('refuses to leave a gap', () => {
    const s = withLog(1, 1);
    expect(() => s.append([e(4, 1)])).toThrow(LogGapError);
  });

  it('limits entries by maxBytes but always returns at least one', () => {
    const s = withLog(1, 1, 1, 1);
    expect(s.entries(1, 5, 0)).toHaveLength(1);
    expect(s.entries(1, 5, 20)).toHaveLength(2);
    expect(s.entries(1, 5)).toHaveLength(4);
  });

  it('throws typed errors outside the held range', () => {
    const s = withLog(1, 1, 2, 2, 2);
    s.createSnapshot(3, undefined, new Uint8Array([1]));
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.entries(3, 5)).toThrow(CompactedError);
    expect(() => s.entries(4, 7)).toThrow(UnavailableError);
    expect(() => s.term(6)).toThrow(UnavailableError);
    expect(s.entries(4, 6).map((x) => x.index)).toEqual([4, 5]);
  });

  it('ignores appended entries the snapshot already covers', () => {
    const s = withLog(1, 1, 1);
    s.compact(2);
    s.append([e(1, 1), e(2, 1), e(3, 1), e(4, 1)]);
    expect(s.firstIndex()).toBe(3);
    expect(s.lastIndex()).toBe(4);
  });

  it('applySnapshot replaces the log; older snapshots are refused', () => {
    const s = withLog(1, 1, 1);
    const cs = { voters: ['x'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    s.applySnapshot({ metadata: { index: 10, term: 4, confState: cs }, data: new Uint8Array([7]) });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(10)).toBe(4);
    expect(s.initialState().confState).toEqual(cs);
    expect(() =>
      s.applySnapshot({ metadata: { index: 5, term: 4, confState: cs }, data: new Uint8Array() }),
    ).toThrow(SnapshotOutOfDateError);
  });
});
