/**
 * Helpers for seed-sweeping tests: run a range and describe failures with their replay command.
 */
import { simulate, type SimOptions, type SimResult } from '../simulator.js';

export function replayCommand(seed: number, extra = ''): string {
  return `pnpm sim --seed ${seed}${extra} --verbose`;
}

/** Runs seeds [from, to] and returns the failures, each described with how to replay it. */
export function runSeeds(from: number, to: number, options: Partial<SimOptions> = {}, cliFlags = ''): { results: SimResult[]; failures: string[] } {
  const results: SimResult[] = [];
  const failures: string[] = [];
  for (let seed = from; seed <= to; seed++) {
    const r = simulate({ ...options, seed });
    results.push(r);
    if (r.verdict !== 'ok') failures.push(`seed ${seed}: ${r.verdict}\n${r.detail}\n  replay: ${replayCommand(seed, cliFlags)}`);
  }
  return { results, failures };
}
