import { describe, expect, it } from 'vitest';
import { describeTransportContract } from '../testing/contract.js';
import { seededRandom, until } from '../testing/wait.js';
import type { Transport } from '../transport.js';
import { createMemoryNetwork, type MemoryNetworkOptions } from './memory-network.js';

const MAX = 256 * 1024;

/** A fresh memory network per contract case. */
function memoryNetwork(options: MemoryNetworkOptions) {
  return async () => {
    const net = createMemoryNetwork(options);
    const all: Transport[] = [];
    return {
      add: async (peer: string) => {
        const t = net.transport(peer);
        all.push(t);
        return t;
      },
      teardown: async () => void (await Promise.all(all.map((t) => t.close()))),
    };
  };
}

describeTransportContract('memory', memoryNetwork({ maxFrameBytes: MAX }), { maxFrameBytes: MAX, upStates: ['memory'] });
describeTransportContract('memory with latency', memoryNetwork({ latencyMs: 3 }), { maxFrameBytes: MAX, upStates: ['memory'] });
describeTransportContract('memory with 30% loss (seed 3)', memoryNetwork({ loss: 0.3, random: seededRandom(3) }), {
  maxFrameBytes: MAX, upStates: ['memory'], reliable: false,
});

describe('memory network', () => {
  it('cut and heal a link: peers go down and up, frames across a cut are dropped', async () => {
    const net = createMemoryNetwork();
    const a = net.transport('a');
    const b = net.transport('b');
    await until(() => a.links().some((l) => l.peer === 'b' && l.state === 'memory'), 'a-b up');
    const got: number[] = [];
    b.on('frame', (_f, p) => got.push(p[0]!));
    expect(a.send('b', new Uint8Array([1]))).toBe(true);
    net.cut('a', 'b');
    expect(a.links()).toEqual([{ peer: 'b', state: 'down', rttMs: null }]);
    expect(a.send('b', new Uint8Array([2]))).toBe(false);
    net.heal('a', 'b');
    await until(() => a.links()[0]?.state === 'memory', 'healed');
    expect(a.send('b', new Uint8Array([3]))).toBe(true);
    await until(() => got.includes(3), 'frame after heal');
    expect(got).toEqual([3]); // 1 was in flight when the cut happened
    expect(net.stats()).toEqual({ delivered: 1, dropped: 1 });
    expect(() => net.transport('a')).toThrow(RangeError);
  });
});
