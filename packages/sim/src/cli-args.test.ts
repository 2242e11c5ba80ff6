import { describe, expect, it } from 'vitest';
import { parseArgs, replayCommand } from './cli-args.js';
import { BadSimConfigError } from './errors.js';

describe('parseArgs', () => {
  it('reads a single seed, a range and options', () => {
    expect(parseArgs(['--seed', '7'])).toMatchObject({ from: 7, to: 7, verbose: false });
    expect(parseArgs(['--seeds', '1..500', '--nodes=5', '--ticks', '100', '-v'])).toMatchObject({
      from: 1,
      to: 500,
      nodes: 5,
      ticks: 100,
      verbose: true,
    });
    expect(parseArgs(['--host', 'pipelined', '--write-ticks=6', '--bug', 'ack-before-durable'])).toMatchObject({ host: 'pipelined', maxWriteTicks: 6, bug: 'ack-before-durable' });
  });

  it('reads the runtime host flags and checks --bug against the host', () => {
    expect(parseArgs(['--host', 'runtime', '--seeds', '1..500', '--no-pauses', '--fault-ms', '2000', '--snapshot-entries=20', '--bug', 'apply-twice'])).toMatchObject({
      host: 'runtime',
      from: 1,
      to: 500,
      noPauses: true,
      faultMs: 2000,
      snapshotEntries: 20,
      bug: 'apply-twice',
    });
    expect(parseArgs(['--host', 'runtime', '--bug', 'ack-before-durable'])).toMatchObject({ bug: 'ack-before-durable' });
    expect(() => parseArgs(['--bug', 'apply-twice'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--host', 'runtime', '--bug', 'no-dedup'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--host', 'runtime', '--snapshot-entries', '0'])).toThrow(BadSimConfigError);
    expect(replayCommand(7, { host: 'runtime', noPauses: true, bug: 'apply-twice' })).toBe('pnpm sim --seed 7 --host runtime --no-pauses --bug apply-twice --verbose');
  });

  it('builds the replay command for a failing seed', () => {
    expect(replayCommand(7)).toBe('pnpm sim --seed 7 --verbose');
    expect(replayCommand(7, { nodes: 5, bug: 'stale-reads', retryHeavy: true })).toBe('pnpm sim --seed 7 --nodes 5 --bug stale-reads --retry-heavy --verbose');
    expect(replayCommand(7, { host: 'pipelined', maxWriteTicks: 6, bug: 'ack-before-durable' })).toBe('pnpm sim --seed 7 --host pipelined --write-ticks 6 --bug ack-before-durable --verbose');
    expect(replayCommand(7, { host: 'classic' })).toBe('pnpm sim --seed 7 --verbose');
  });

  it('rejects bad input with a typed error', () => {
    expect(() => parseArgs(['--seeds', '5..1'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--seed', 'x'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--frobnicate'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--host', 'async'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--write-ticks', '-1'])).toThrow(BadSimConfigError);
  });
});
