import { describe, expect, it } from 'vitest';
import { SessionTable } from './sessions.js';

describe('SessionTable', () => {
  it('applies a new command once and answers its retries from the cache', () => {
    const t = new SessionTable();
    const k = { client: 'a', seq: 1 };
    expect(t.check(k, 10)).toEqual({ kind: 'apply' });
    t.record(k, 0, 10, true, 'r1');
    expect(t.check(k, 11)).toEqual({ kind: 'duplicate', result: 'r1' });
  });

  it('accepts out-of-order seqs from one client (pipelined proposals)', () => {
    const t = new SessionTable();
    t.record({ client: 'a', seq: 2 }, 0, 5, true, 'two');
    expect(t.check({ client: 'a', seq: 1 }, 6)).toEqual({ kind: 'apply' });
    t.record({ client: 'a', seq: 1 }, 0, 6, true, 'one');
    expect(t.check({ client: 'a', seq: 2 }, 7)).toEqual({ kind: 'duplicate', result: 'two' });
  });

  it('forgets acknowledged results and calls their retries stale', () => {
    const t = new SessionTable();
    t.record({ client: 'a', seq: 1 }, 0, 1, true, 'x');
    t.record({ client: 'a', seq: 2 }, 1, 2, true, 'y');
    expect(t.check({ client: 'a', seq: 1 }, 3)).toEqual({ kind: 'stale' });
    expect(t.check({ client: 'a', seq: 2 }, 3)).toEqual({ kind: 'duplicate', result: 'y' });
  });

  it('expires idle clients by log index, identically after a snapshot round trip', () => {
    const t = new SessionTable(100);
    t.record({ client: 'a', seq: 1 }, 0, 1, true, 'x');
    const copy = SessionTable.fromData(t.toData(), 100);
    for (const table of [t, copy]) {
      expect(table.check({ client: 'a', seq: 1 }, 101)).toEqual({ kind: 'duplicate', result: 'x' });
      expect(table.check({ client: 'a', seq: 1 }, 102)).toEqual({ kind: 'apply' });
    }
  });

  it('round-trips through its snapshot form', () => {
    const t = new SessionTable();
    t.record({ client: 'a', seq: 3 }, 2, 9, true, { ok: 1 });
    t.record({ client: 'b', seq: 1 }, 0, 10, true, null);
    const u = SessionTable.fromData(t.toData());
    expect(u.toData()).toEqual(t.toData());
    expect(u.check({ client: 'a', seq: 2 }, 11)).toEqual({ kind: 'stale' });
    expect(u.check({ client: 'a', seq: 3 }, 11)).toEqual({ kind: 'duplicate', result: { ok: 1 } });
  });
});
