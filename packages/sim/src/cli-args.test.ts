import { describe, expect, it } from 'vitest';
import { parseArgs } from './cli-args.js';
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
  });

  it('rejects bad input with a typed error', () => {
    expect(() => parseArgs(['--seeds', '5..1'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--seed', 'x'])).toThrow(BadSimConfigError);
    expect(() => parseArgs(['--frobnicate'])).toThrow(BadSimConfigError);
  });
});
