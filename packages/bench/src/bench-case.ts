import { networkInterfaces } from 'node:os';

/** A benchmark case: yields results; the runner adds `bench` (the case's file name). */
export interface BenchResult {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly [extra: string]: unknown;
}

export interface BenchCase {
  run(): AsyncIterable<BenchResult>;
}

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) throw new Error('median of nothing');
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error('percentile of nothing');
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `f` n times in sequence and returns each run's duration in milliseconds. */
export async function timeEach(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * WebRTC gathers no ICE candidates without a non-loopback interface; fail early with the command
 * that works (the repo's netns wrapper) instead of timing out inside a case.
 */
export function requireNetworkInterface(benchCase: string): void {
  const usable = Object.values(networkInterfaces()).some((list) => list?.some((i) => !i.internal && i.family === 'IPv4'));
  if (!usable) {
    throw new Error(
      `bench ${benchCase} needs a non-loopback network interface (WebRTC gathers no ICE candidates without one); ` +
        `run it as: scripts/netns-run pnpm bench ${benchCase}`,
    );
  }
}
