import { describe, expect, it } from 'vitest';
import { BadHistoryError } from '../errors.js';
import { Xoshiro128 } from '../random.js';
import { checkOperations, formatExplanation } from './check.js';
import { kvModel, type KvInput, type KvOperation, type KvOutput } from './kv-model.js';

const get = (key: string): KvInput => ({ kind: 'get', key });
const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });
const cas = (key: string, expected: string | null, value: string): KvInput => ({ kind: 'cas', key, expected, value });

/** An answered operation. */
function op(clientId: number, input: KvInput, callTime: number, returnTime: number, output: KvOutput = {}): KvOperation {
  return { clientId, input, callTime, returnTime, output };
}
/** A call that never returned. */
function lost(clientId: number, input: KvInput, callTime: number): KvOperation {
  return { clientId, input, callTime };
}
const check = (ops: KvOperation[]) => checkOperations(kvModel, ops).verdict;

describe('linearizability checker: KV histories', () => {
  it('accepts a sequential history', () => {
    expect(check([op(0, put('x', '1'), 0, 10), op(1, get('x'), 20, 30, { value: '1' })])).toBe('ok');
  });

  it('rejects a stale read after a completed write', () => {
    const res = checkOperations(kvModel, [op(0, put('x', '1'), 0, 10), op(1, get('x'), 20, 30, { value: null })]);
    expect(res.verdict).toBe('illegal');
    expect(res.explanation?.linearized).toEqual(['client 0: put(x, "1") [0, 10]']);
    expect(res.explanation?.stuck).toEqual(['client 1: get(x) -> null [20, 30]']);
    expect(formatExplanation(res.explanation!)).toContain('none of these can come next');
  });

  it('accepts either value for a read concurrent with a write', () => {
    const w = op(0, put('x', '1'), 0, 100);
    expect(check([w, op(1, get('x'), 10, 20, { value: null })])).toBe('ok');
    expect(check([w, op(1, get('x'), 10, 20, { value: '1' })])).toBe('ok');
    // Two concurrent reads may see old then new, but not new then (strictly later) old.
    expect(check([w, op(1, get('x'), 10, 20, { value: '1' }), op(2, get('x'), 30, 40, { value: null })])).toBe('illegal');
    expect(check([w, op(1, get('x'), 10, 40, { value: '1' }), op(2, get('x'), 20, 30, { value: null })])).toBe('ok');
  });

  it('rejects a lost write', () => {
    const ops = [op(0, put('x', '1'), 0, 5), op(1, put('x', '2'), 6, 10), op(2, get('x'), 20, 25, { value: '1' })];
    expect(check(ops)).toBe('illegal');
  });

  it('rejects two successful CASes from the same expected value', () => {
    const base = op(0, put('x', '0'), 0, 5);
    expect(
      check([base, op(1, cas('x', '0', '1'), 10, 20, { ok: true }), op(2, cas('x', '0', '2'), 11, 21, { ok: true })]),
    ).toBe('illegal');
    expect(
      check([base, op(1, cas('x', '0', '1'), 10, 20, { ok: true }), op(2, cas('x', '0', '2'), 11, 21, { ok: false })]),
    ).toBe('ok');
  });

  it('treats an indeterminate put as possibly applied', () => {
    expect(check([lost(0, put('x', '1'), 0), op(1, get('x'), 10, 20, { value: null })])).toBe('ok');
    expect(check([lost(0, put('x', '1'), 0), op(1, get('x'), 10, 20, { value: '1' })])).toBe('ok');
    // Once observed, it must stay applied.
    expect(
      check([lost(0, put('x', '1'), 0), op(1, get('x'), 10, 20, { value: '1' }), op(1, get('x'), 30, 40, { value: null })]),
    ).toBe('illegal');
    // It cannot take effect before it was called.
    expect(check([op(1, get('x'), 0, 5, { value: '1' }), lost(0, put('x', '1'), 10)])).toBe('illegal');
  });

  it('fixes the effect of an indeterminate CAS by the state it sees', () => {
    const base = op(0, put('x', 'a'), 0, 5);
    expect(check([base, lost(1, cas('x', 'a', 'b'), 10), op(2, get('x'), 20, 30, { value: 'b' })])).toBe('ok');
    expect(check([base, lost(1, cas('x', 'z', 'b'), 10), op(2, get('x'), 20, 30, { value: 'b' })])).toBe('illegal');
  });

  it('partitions by key and reports the failing key', () => {
    const ops = [
      op(0, put('a', '1'), 0, 10),
      op(1, put('b', '1'), 0, 10),
      op(0, get('a'), 20, 30, { value: '1' }),
      op(1, get('b'), 20, 30, { value: '2' }),
    ];
    const res = checkOperations(kvModel, ops);
    expect(res.partitions).toBe(2);
    expect(res.verdict).toBe('illegal');
    expect(res.explanation?.partition).toBe(1);
    expect(res.explanation?.partitionName).toBe('key b');
    expect(formatExplanation(res.explanation!)).toMatch(/^not linearizable \(key b\)/);
  });

  it('returns unknown, not a hang, when the step budget runs out', () => {
    // Many concurrent writes then a read of a value nobody wrote: every order must be tried.
    const ops: KvOperation[] = [];
    for (let i = 0; i < 12; i++) ops.push(op(i, put('x', String(i)), 0, 100));
    ops.push(op(99, get('x'), 200, 210, { value: 'nobody' }));
    expect(checkOperations(kvModel, ops, { maxSteps: 200 }).verdict).toBe('unknown');
    // With memoization the full search is small: 2^12 subsets at most, far fewer distinct ones.
    expect(checkOperations(kvModel, ops).verdict).toBe('illegal');
  });

  it('drops unanswered reads, which constrain nothing, before searching', () => {
    const ops: KvOperation[] = [];
    for (let i = 0; i < 30; i++) ops.push(lost(i, get('x'), i));
    ops.push(op(99, put('x', '1'), 0, 100), op(98, get('x'), 200, 210, { value: '1' }));
    const res = checkOperations(kvModel, ops);
    expect(res).toMatchObject({ verdict: 'ok', operations: 32 });
    expect(res.steps).toBeLessThan(10);
  });

  it('rejects malformed histories with a typed error', () => {
    expect(() => check([op(0, put('x', '1'), 10, 5)])).toThrow(BadHistoryError);
    expect(() => check([op(0, put('x', '1'), Number.NaN, 5)])).toThrow(BadHistoryError);
  });

  it('accepts the empty history', () => {
    expect(check([])).toBe('ok');
  });
});

/** All orders consistent with real time, tried one by one: the obviously correct reference. */
function bruteForce(ops: KvOperation[]): boolean {
  const n = ops.length;
  const used = new Array<boolean>(n).fill(false);
  const rec = (state: string | null, count: number): boolean => {
    if (count === n) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      // i may go next only if no other pending op returned before i was called.
      const blocked = ops.some((o, j) => !used[j] && j !== i && (o.returnTime ?? Infinity) < ops[i]!.callTime);
      if (blocked) continue;
      const o = ops[i]!;
      const res = kvModel.step(state, o.input, o.returnTime === undefined ? undefined : o.output);
      if (!res.ok) continue;
      used[i] = true;
      if (rec(res.state, count + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return rec(null, 0);
}

describe('linearizability checker agrees with brute force', () => {
  it('on 3000 random small single-key histories', () => {
    const rng = new Xoshiro128(7);
    let illegal = 0;
    for (let t = 0; t < 3000; t++) {
      const ops: KvOperation[] = [];
      const n = 1 + rng.int(6);
      for (let i = 0; i < n; i++) {
        const call = rng.int(20);
        const ret = rng.chance(0.15) ? undefined : call + rng.int(10);
        const v = String(rng.int(3));
        const r = rng.int(3);
        const input: KvInput = r === 0 ? get('k') : r === 1 ? put('k', v) : cas('k', rng.chance(0.3) ? null : String(rng.int(3)), v);
        const output: KvOutput = input.kind === 'get' ? { value: rng.chance(0.3) ? null : String(rng.int(3)) } : input.kind === 'cas' ? { ok: rng.chance(0.5) } : {};
        ops.push(ret === undefined ? { clientId: i, input, callTime: call } : { clientId: i, input, callTime: call, returnTime: ret, output });
      }
      const expected = bruteForce(ops);
      const got = checkOperations(kvModel, ops).verdict;
      if (!expected) illegal++;
      expect(got, JSON.stringify(ops)).toBe(expected ? 'ok' : 'illegal');
    }
    // The generator must produce both kinds, or the comparison proves little.
    expect(illegal).toBeGreaterThan(300);
    expect(illegal).toBeLessThan(2700);
  });
});
