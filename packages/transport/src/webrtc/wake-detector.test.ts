import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchWake } from './wake-detector.js';

afterEach(() => vi.useRealTimers());

describe('watchWake', () => {
  it('reports a timer gap (the machine slept) but not normal ticks', () => {
    vi.useFakeTimers();
    let clock = 0;
    const wakes: string[] = [];
    const stop = watchWake((r) => wakes.push(r), { intervalMs: 1000, gapMs: 5000, now: () => clock });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      vi.advanceTimersByTime(1000);
    }
    expect(wakes).toEqual([]);
    clock += 60_000; // asleep for a minute: the next tick is late
    vi.advanceTimersByTime(1000);
    expect(wakes).toEqual(['timer-gap']);
    stop();
    clock += 60_000;
    vi.advanceTimersByTime(5000);
    expect(wakes).toEqual(['timer-gap']);
  });

  it("forwards the browser's online event", () => {
    const target = new EventTarget();
    const g = globalThis as unknown as { addEventListener?: unknown; removeEventListener?: unknown };
    const saved = [g.addEventListener, g.removeEventListener];
    g.addEventListener = target.addEventListener.bind(target);
    g.removeEventListener = target.removeEventListener.bind(target);
    try {
      const wakes: string[] = [];
      const stop = watchWake((r) => wakes.push(r));
      target.dispatchEvent(new Event('online'));
      stop();
      target.dispatchEvent(new Event('online'));
      expect(wakes).toEqual(['online']);
    } finally {
      [g.addEventListener, g.removeEventListener] = saved;
    }
  });
});
