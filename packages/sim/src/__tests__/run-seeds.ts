/**
 * Helpers for seed-sweeping tests: run a range and describe failures with their replay command.
 */
import { replayCommand } from '../cli-args.js';
import { RETRY_HEAVY_WORKLOAD, simulate, type SimOptions, type SimResult } from '../simulator.js';

/**
 * Runs seeds [from, to] and returns the failures, each with the exact command that replays it
 * (only options the CLI can express belong in `options` when failures must be replayable).
 */
export function runSeeds(
  from: number,
  to: number,
  options: Partial<SimOptions> = {},
  stopAfterFailures = Infinity,
): { results: SimResult[]; failures: string[] } {
  const results: SimResult[] = [];
  const failures: string[] = [];
  for (let seed = from; seed <= to && failures.length < stopAfterFailures; seed++) {
    const r = simulate({ ...options, seed });
    results.push(r);
    const retryHeavy = options.workload === RETRY_HEAVY_WORKLOAD;
    if (r.verdict !== 'ok') failures.push(`seed ${seed}: ${r.verdict}\n${r.detail}\n  replay: ${replayCommand(seed, { ...options, retryHeavy })}`);
  }
  return { results, failures };
}
