/** The log: storage + unstable entries, conflicts, size limits, and the apply budget. */
import { describe, expect, it } from 'vitest';
import { CompactedError } from './errors.js';
import { MemoryStorage } from './memory-storage.js';
import { RaftLog } from './raft-log.js';
import { LogCorruptionError } from './raft-errors.js';
import { ent } from './__tests__/helpers.js';
import { Network, confState, enc } from './__tests__/network.js';

function logWith(stored: number[], unstable: number[] = []): { log: RaftLog; storage: MemoryStorage } {
  const storage = new MemoryStorage({ confState: confState(['a']) });
  storage.append(stored.map((t, i) => ent(t, i + 1, 'x'.repeat(10))));
  const log = new RaftLog(storage, Infinity);
  if (unstable.length > 0) log.append(unstable.map((t, i) => ent(t, stored.length + i + 1, 'y'.repeat(10))));
  return { log, storage };
}

describe('raft log', () => {
  it('reads across storage and unstable entries, honouring maxBytes (at least one entry)', () => {
    const { log } = logWith([1, 1, 2], [2, 3]);
    expect(log.lastIndex()).toBe(5);
    expect(log.slice(2, 6).map((e) => e.index)).toEqual([2, 3, 4, 5]);
    expect(log.slice(2, 6, 25).map((e) => e.index)).toEqual([2, 3]);
    expect(log.slice(3, 6, 25).map((e) => e.index)).toEqual([3, 4]);
    expect(log.slice(2, 6, 1).map((e) => e.index)).toEqual([2]);
    expect(log.term(4)).toBe(2);
    expect(log.termOrNone(9)).toBe(-1);
  });

  it('finds conflicts and truncates only the conflicting suffix', () => {
    const { log } = logWith([1, 1, 2], [2, 2]);
    expect(log.findConflict([ent(1, 2), ent(2, 3)])).toBe(0);
    expect(log.findConflict([ent(2, 3), ent(3, 4)])).toBe(4);
    expect(log.findConflict([ent(2, 5), ent(2, 6)])).toBe(6);
    expect(log.maybeAppend(3, 2, 3, [ent(3, 4, 'new')])).toBe(4);
    expect(log.lastIndex()).toBe(4);
    expect(log.term(4)).toBe(3);
    expect(log.committed).toBe(3);
    expect(log.maybeAppend(4, 9, 4, [])).toBe(-1); // no match at (4, 9)
  });

  it('findConflictByTerm skips back over a whole term', () => {
    const { log } = logWith([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
    expect(log.findConflictByTerm(10, 3)).toEqual([3, 1]);
    expect(log.findConflictByTerm(10, 5)).toEqual([7, 5]);
    expect(log.findConflictByTerm(10, 6)).toEqual([10, 6]);
  });

  it('refuses to overwrite committed entries or commit past its end', () => {
    const { log } = logWith([1, 1, 2]);
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, [ent(3, 2)])).toThrow(LogCorruptionError);
    expect(() => log.commitTo(7)).toThrow(LogCorruptionError);
  });

  it('reports compaction as CompactedError', () => {
    const { log, storage } = logWith([1, 1, 2, 2]);
    storage.createSnapshot(2, confState(['a']), new Uint8Array());
    storage.compact(2);
    expect(() => log.slice(1, 3)).toThrow(CompactedError);
    expect(log.term(2)).toBe(1);
    expect(log.termOrNone(1)).toBe(-1);
  });
});

describe('apply budget', () => {
  it('maxCommittedSizePerReady bounds the committed bytes handed out before advance', () => {
    const net = new Network(['a'], { maxCommittedSizePerReady: 250 });
    net.elect('a');
    const a = net.node('a');
    for (let i = 0; i < 10; i++) a.propose(new Uint8Array(100));
    // Persist the entries so they commit (single node), but apply in bounded batches.
    let rd = a.ready();
    net.get('a').storage.append(rd.entries);
    a.advance(rd);
    const sizes: number[] = [];
    for (let i = 0; i < 20 && a.hasReady(); i++) {
      rd = a.ready();
      net.get('a').storage.append(rd.entries);
      if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.reduce((s, e) => s + e.data.length, 0));
      a.advance(rd);
    }
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(1000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(300);
  });

  it('a restart with `applied` does not hand out already-applied entries again', () => {
    const net = new Network(['a', 'b', 'c']);
    net.elect('a');
    for (const s of ['x', 'y']) net.node('a').propose(enc(s));
    net.stabilize();
    const b = net.restart('b');
    const rd = b.node.ready();
    expect(rd.committedEntries).toEqual([]);
  });
});
