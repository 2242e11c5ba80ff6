import { describe, expect, it } from 'vitest';
import { BadSimConfigError } from './errors.js';
import { Network, RELIABLE_NETWORK, type NetworkOptions } from './network.js';
import { Xoshiro128 } from './random.js';

const LOSSY: NetworkOptions = {
  minDelay: 1,
  maxDelay: 4,
  dropRate: 0.1,
  duplicateRate: 0.1,
  reorderRate: 0.2,
  reorderDelay: 5,
};

function run(seed: number): string[] {
  const net = new Network<number>(new Xoshiro128(seed), LOSSY);
  const log: string[] = [];
  for (let t = 0; t < 50; t++) {
    net.send('a', 'b', t, t);
    for (const e of net.deliver(t)) log.push(`${t}:${e.message}`);
  }
  return log;
}

describe('Network', () => {
  it('replays exactly from a seed', () => {
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('loses, duplicates and reorders under a lossy profile', () => {
    const net = new Network<number>(new Xoshiro128(1), LOSSY);
    const got: number[] = [];
    for (let t = 0; t < 2000; t++) {
      net.send('a', 'b', t, t);
      for (const e of net.deliver(t)) got.push(e.message);
    }
    for (const e of net.deliver(1e9)) got.push(e.message);
    expect(net.stats.dropped).toBeGreaterThan(100);
    expect(net.stats.duplicated).toBeGreaterThan(100);
    expect(new Set(got).size).toBeLessThan(got.length); // duplicates arrived
    expect(got.some((m, i) => i > 0 && m < got[i - 1]!)).toBe(true); // out of order
    expect(got.length).toBe(net.stats.sent - net.stats.dropped + net.stats.duplicated);
  });

  it('delivers in send order with a fixed delay on the reliable profile', () => {
    const net = new Network<number>(new Xoshiro128(1), RELIABLE_NETWORK);
    for (let i = 0; i < 5; i++) net.send('a', 'b', i, 0);
    expect(net.deliver(0)).toEqual([]);
    expect(net.deliver(1).map((e) => e.message)).toEqual([0, 1, 2, 3, 4]);
  });

  it('supports asymmetric partitions and healing', () => {
    const net = new Network<string>(new Xoshiro128(1));
    net.cut('a', 'b');
    net.send('a', 'b', 'lost', 0);
    net.send('b', 'a', 'arrives', 0);
    expect(net.deliver(1).map((e) => e.message)).toEqual(['arrives']);
    expect(net.canSend('a', 'b')).toBe(false);
    expect(net.canSend('b', 'a')).toBe(true);
    net.heal();
    net.send('a', 'b', 'after heal', 1);
    expect(net.deliver(2).map((e) => e.message)).toEqual(['after heal']);
  });

  it('cuts every cross-group link of a partition, including messages already in flight', () => {
    const net = new Network<string>(new Xoshiro128(1));
    net.send('a', 'c', 'in flight', 0);
    net.partition([['a', 'b'], ['c']]);
    net.send('a', 'b', 'same side', 0);
    expect(net.deliver(1).map((e) => e.message)).toEqual(['same side']);
    expect(net.canSend('c', 'b')).toBe(false);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => new Network(new Xoshiro128(1), { ...LOSSY, dropRate: 2 })).toThrow(BadSimConfigError);
    expect(() => new Network(new Xoshiro128(1), { ...LOSSY, minDelay: 3, maxDelay: 1 })).toThrow(BadSimConfigError);
  });
});
