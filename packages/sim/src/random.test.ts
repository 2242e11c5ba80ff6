import { describe, expect, it } from 'vitest';
import { BadSimConfigError } from './errors.js';
import { Xoshiro128 } from './random.js';

describe('Xoshiro128', () => {
  it('replays the same stream for the same seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new Xoshiro128(seed);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('is roughly uniform', () => {
    const r = new Xoshiro128(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[r.int(10)]!++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it('keeps int and range in bounds', () => {
    const r = new Xoshiro128(3);
    for (let i = 0; i < 10_000; i++) {
      const x = r.range(5, 7);
      expect(x >= 5 && x <= 7 && Number.isInteger(x)).toBe(true);
    }
  });

  it('rejects bad arguments with typed errors', () => {
    expect(() => new Xoshiro128(1.5)).toThrow(BadSimConfigError);
    expect(() => new Xoshiro128(1).int(0)).toThrow(BadSimConfigError);
    expect(() => new Xoshiro128(1).pick([])).toThrow(BadSimConfigError);
  });
});
