import { replayCommand } from '@meshraft/sim';
import { describe, expect, it } from 'vitest';
import { simulateRuntime } from './runtime-simulator.js';

describe('runtime host: graceful leaves (runtime-churn)', () => {
  it('departure sequences down to the durable peer keep every acknowledged write and leave it writable; members come back after being replaced', { timeout: 300_000 }, async () => {
    let sequences = 0;
    let checked = 0;
    let departures = 0;
    const failed: string[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const r = await simulateRuntime({ seed });
      departures += r.departures;
      if (r.churnSequence) sequences++;
      checked += r.churnChecks;
      if (r.verdict !== 'ok') failed.push(`seed ${seed} ${r.verdict}: ${r.detail}\nreplay: ${replayCommand(seed, { host: 'runtime' })} --verbose`);
    }
    expect(failed, failed.join('\n')).toEqual([]);
    expect(sequences).toBeGreaterThanOrEqual(6);
    expect(checked).toBeGreaterThanOrEqual(4);
    expect(departures).toBeGreaterThan(sequences * 2);
  });
});
