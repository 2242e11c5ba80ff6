import { describe, expect, it } from 'vitest';
import { createCounterStateMachine, CounterSnapshotError } from './counter-state-machine.js';
import { applyEntryData } from './state-machine.js';
import { pack } from './msgpack.js';

describe('counter state machine', () => {
  it('adds and resets through encoded entries', () => {
    const sm = createCounterStateMachine();
    const run = (c: Parameters<typeof sm.encodeCommand>[0], index: number) =>
      applyEntryData(sm, sm.encodeCommand(c), { index, term: 1 });
    expect(run({ type: 'add', delta: 5 }, 1)).toEqual({ ok: true, value: 5 });
    expect(run({ type: 'add', delta: -2 }, 2)).toEqual({ ok: true, value: 3 });
    expect(run({ type: 'reset' }, 3)).toEqual({ ok: true, value: 0 });
    expect(sm.query({ type: 'get' })).toEqual({ value: 0, applied: 3 });
  });

  it('answers malformed entries and overflow with an error result and no change', () => {
    const sm = createCounterStateMachine();
    sm.apply({ type: 'add', delta: Number.MAX_SAFE_INTEGER }, { index: 1, term: 1 });
    for (const data of [new Uint8Array([0xc1]), pack({ type: 'add', delta: 0.5 }), pack({ type: 'add', delta: 1 })]) {
      expect(applyEntryData(sm, data, { index: 2, term: 1 })).toMatchObject({ ok: false, code: 'COUNTER_INVALID_COMMAND' });
    }
    expect(sm.query({ type: 'get' })).toEqual({ value: Number.MAX_SAFE_INTEGER, applied: 1 });
  });

  it('snapshots and restores; rejects junk snapshots', () => {
    const a = createCounterStateMachine();
    a.apply({ type: 'add', delta: 41 }, { index: 1, term: 1 });
    const b = createCounterStateMachine();
    b.restore(a.snapshot());
    expect(b.query({ type: 'get' })).toEqual({ value: 41, applied: 1 });
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(() => b.restore(pack('nope'))).toThrow(CounterSnapshotError);
    expect(() => b.restore(new Uint8Array([0xc1]))).toThrow(CounterSnapshotError);
  });
});
