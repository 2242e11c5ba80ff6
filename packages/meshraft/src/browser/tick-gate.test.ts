import { describe, expect, it } from 'vitest';
import type { Timers } from '../node/index.js';
import { LifecycleInputError } from './errors.js';
import { createTickGate } from './tick-gate.js';

/** A clock whose interval callbacks the test fires by hand at chosen times (to make gaps). */
function manualClock(): { base: Timers; setNow(t: number): void; fire(): void } {
  let now = 0;
  let interval: (() => void) | undefined;
  return {
    base: {
      now: () => now,
      setTimeout: () => 0,
      clearTimeout: () => {},
      setInterval: (fn) => {
        interval = fn;
        return 1;
      },
      clearInterval: () => {},
    },
    setNow: (t) => void (now = t),
    fire: () => interval?.(),
  };
}

describe('tick gate', () => {
  it('runs one callback in heldEvery while held, all of them when the bypass says so', () => {
    const clock = manualClock();
    const gate = createTickGate({ base: clock.base, heldEvery: 3 });
    let ticks = 0;
    gate.timers.setInterval(() => ticks++, 100);
    clock.setNow(100);
    clock.fire();
    gate.hold();
    const seen: number[] = [];
    for (let t = 200; t <= 700; t += 100) {
      clock.setNow(t);
      clock.fire();
      seen.push(ticks);
    }
    expect(seen).toEqual([1, 1, 2, 2, 2, 3]);
    ticks = 1;
    let leader = true;
    gate.setBypass(() => leader);
    clock.setNow(800);
    clock.fire();
    expect(ticks).toBe(2);
    leader = false;
    gate.release();
    clock.setNow(900);
    clock.fire();
    expect(ticks).toBe(3);
  });

  it('quarantines callbacks after a timer gap (a frozen or throttled tab) for quarantineMs', () => {
    const clock = manualClock();
    const gate = createTickGate({ base: clock.base, gapMs: 1000, quarantineMs: 2000 });
    let ticks = 0;
    gate.timers.setInterval(() => ticks++, 100);
    clock.setNow(60_000); // one wake-up a minute
    clock.fire();
    expect(gate.gaps()).toBe(1);
    expect(gate.withholding()).toBe(true);
    for (let t = 60_100; t < 62_000; t += 100) {
      clock.setNow(t);
      clock.fire();
    }
    expect(ticks).toBe(0);
    clock.setNow(62_000);
    clock.fire();
    expect(ticks).toBe(1);
    expect(gate.withholding()).toBe(false);
  });

  it("ends a gap's quarantine at the first leader contact after the gap", () => {
    const clock = manualClock();
    const gate = createTickGate({ base: clock.base, gapMs: 1000, quarantineMs: 2000 });
    let heard: number | null = 50; // before the gap: does not count
    gate.setLeaderContact(() => heard);
    let ticks = 0;
    gate.timers.setInterval(() => ticks++, 100);
    clock.setNow(60_000);
    clock.fire();
    clock.setNow(60_100);
    clock.fire();
    expect(ticks).toBe(0);
    heard = 60_150; // the leader's heartbeat arrives
    clock.setNow(60_200);
    clock.fire();
    expect(ticks).toBe(1);
    expect(gate.withholding()).toBe(false);
  });

  it('rejects bad durations with LIFECYCLE_INPUT', () => {
    expect(() => createTickGate({ gapMs: -1 })).toThrow(LifecycleInputError);
    expect(() => createTickGate({ quarantineMs: Number.NaN })).toThrow(LifecycleInputError);
    expect(() => createTickGate({ heldEvery: 0 })).toThrow(LifecycleInputError);
  });
});
