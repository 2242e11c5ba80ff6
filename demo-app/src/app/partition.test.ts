import { createMemoryNetwork } from '@meshraft/transport';
import { describe, expect, it } from 'vitest';
import { partitionable } from './partition.js';
import { until } from './__tests__/kv-cluster.js';

describe('partitionable', () => {
  it('drops frames both ways and reports links down while cut; everything flows again after', async () => {
    const net = createMemoryNetwork();
    const a = partitionable(net.transport('a'));
    const b = net.transport('b');
    const atA: string[] = [];
    const atB: string[] = [];
    const events: string[] = [];
    a.on('frame', (_from, f) => atA.push(new TextDecoder().decode(f)));
    b.on('frame', (_from, f) => atB.push(new TextDecoder().decode(f)));
    a.on('link', (l) => events.push(`${l.peer}:${l.state}`));
    a.on('peer-down', (p) => events.push(`down:${p}`));
    a.on('peer-up', (p) => events.push(`up:${p}`));
    await until(() => a.links().some((l) => l.peer === 'b' && l.state === 'memory'));
    const enc = (s: string) => new TextEncoder().encode(s);

    a.setPartitioned(true);
    expect(a.partitioned).toBe(true);
    expect(a.links()).toEqual([{ peer: 'b', state: 'down', rttMs: null }]);
    expect(a.send('b', enc('lost-out'))).toBe(false);
    b.send('a', enc('lost-in'));
    await new Promise((r) => setTimeout(r, 20));
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);

    a.setPartitioned(false);
    expect(a.links()[0]?.state).toBe('memory');
    expect(a.send('b', enc('out'))).toBe(true);
    b.send('a', enc('in'));
    await until(() => atA.length === 1 && atB.length === 1);
    expect([atA, atB]).toEqual([['in'], ['out']]);
    expect(events).toEqual(expect.arrayContaining(['b:down', 'down:b', 'b:memory', 'up:b']));
    await a.close();
    await b.close();
  });
});
