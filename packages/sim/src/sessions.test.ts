import { describe, expect, it } from 'vitest';
import { BadSimConfigError } from './errors.js';
import { SimSessionTable } from './sessions.js';

describe('SimSessionTable (Raft thesis §6.3)', () => {
  it('applies a command once and answers retries with the original result', () => {
    const t = new SimSessionTable<string>({ ttl: 100 });
    const c = t.register(7, 7);
    expect(c).toBe(7);
    let applied = 0;
    const run = () => `result-${++applied}`;
    expect(t.apply(c, 1, 8, run)).toEqual({ kind: 'apply', result: 'result-1' });
    expect(t.apply(c, 1, 9, run)).toEqual({ kind: 'duplicate', result: 'result-1' });
    expect(applied).toBe(1);
    expect(t.apply(c, 2, 10, run)).toEqual({ kind: 'apply', result: 'result-2' });
    // A late copy of an abandoned older command is not applied.
    expect(t.apply(c, 1, 11, run)).toEqual({ kind: 'stale' });
    expect(applied).toBe(2);
  });

  it('expires idle sessions by logical time only', () => {
    const t = new SimSessionTable<number>({ ttl: 10 });
    const a = t.register(1, 1);
    const b = t.register(2, 2);
    t.apply(b, 1, 11, () => 1); // keeps b alive
    expect(t.begin(a, 1, 12)).toEqual({ kind: 'expired' });
    expect(t.lookup(b)).toEqual({ seq: 1, result: 1 });
    expect(t.size).toBe(1);
    // A re-registration gets a new id, so old retries cannot hit the new session.
    const a2 = t.register(13, 13);
    expect(a2).not.toBe(a);
    expect(t.begin(a, 1, 13)).toEqual({ kind: 'expired' });
  });

  it('round-trips through JSON for snapshots, deterministically ordered', () => {
    const t = new SimSessionTable<{ ok: boolean }>({ ttl: 50 });
    t.register(5, 5);
    t.register(3, 3);
    t.apply(5, 1, 6, () => ({ ok: true }));
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    const u = SimSessionTable.fromJSON<{ ok: boolean }>(json);
    expect(u.toJSON()).toEqual(t.toJSON());
    expect(u.begin(5, 1, 7)).toEqual({ kind: 'duplicate', result: { ok: true } });
    expect(t.toJSON().sessions.map((s) => s[0])).toEqual([3, 5]);
  });

  it('rejects misuse with typed errors', () => {
    expect(() => new SimSessionTable({ ttl: 0 })).toThrow(BadSimConfigError);
    const t = new SimSessionTable<number>({ ttl: 5 });
    expect(() => t.complete(1, 1, 0)).toThrow(BadSimConfigError);
  });
});
