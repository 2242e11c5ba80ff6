import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows exponentially up to the cap, with jitter inside the band', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5, random: () => 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 100, 200, 400, 500]);
    const top = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0.999999 });
    expect(top.next()).toBeCloseTo(100, 3);
  });

  it('spreads delays by the random source (seeded)', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const b = new Backoff({ initialMs: 1000, jitter: 1, random });
    const delays = Array.from({ length: 5 }, () => { const d = b.next(); b.reset(); return d; });
    expect(new Set(delays).size).toBe(5);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0), expect(d).toBeLessThan(1000);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 10, jitter: 0 });
    b.next();
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.next()).toBe(10);
  });
});
