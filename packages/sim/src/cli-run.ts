/**
 * @module cli-run
 * The core-only hosts' part of `pnpm sim` (classic and pipelined SimNode): runs the seeds of
 * parsed arguments, prints one verdict line each (details and the replay command for failures)
 * and returns the exit code. The entry point (packages/sim-runtime/src/cli.ts) adds the runtime host.
 */
import { replayCommand, type CliArgs } from './cli-args.js';
import type { HostMode, SimBug } from './sim-node.js';
import { formatVerdictLine, RETRY_HEAVY_WORKLOAD, simulate, type SimOptions } from './simulator.js';

function optionsFor(args: CliArgs, seed: number): Partial<SimOptions> & { seed: number } {
  return {
    seed,
    ...(args.nodes !== undefined && { nodes: args.nodes }),
    ...(args.ticks !== undefined && { ticks: args.ticks }),
    ...(args.snapshotEvery !== undefined && { snapshotEvery: args.snapshotEvery }),
    ...(args.sessionTtl !== undefined && { sessionTtl: args.sessionTtl }),
    ...(args.bug !== undefined && { bug: args.bug as SimBug }),
    ...(args.host !== undefined && { host: args.host as HostMode }),
    ...(args.maxWriteTicks !== undefined && { maxWriteTicks: args.maxWriteTicks }),
    ...(args.livenessBound !== undefined && { livenessBound: args.livenessBound }),
    ...(args.verbose && { trace: (line: string) => console.log(line) }),
    ...(args.messages && { traceMessages: true }),
    ...(args.retryHeavy && { workload: RETRY_HEAVY_WORKLOAD }),
  };
}

/** Runs `args` with the core-only hosts; returns 1 if any seed failed. */
export function runCoreCli(args: CliArgs): number {
  const failed: number[] = [];
  for (let seed = args.from; seed <= args.to; seed++) {
    const r = simulate(optionsFor(args, seed));
    console.log(formatVerdictLine(r));
    if (args.verbose) {
      console.log(`    workload: ${JSON.stringify(r.workload)}; duplicates suppressed by sessions: ${r.duplicatesSuppressed}`);
      console.log(`    network: ${JSON.stringify(r.network)}; liveness: ${r.livenessTicks ?? 'none'} ticks after healing`);
      console.log(`    messages: ${JSON.stringify(r.messages)}; snapshots installed: ${r.snapshotsInstalled}`);
      if (args.host === 'pipelined') console.log(`    pipeline: ${JSON.stringify(r.pipeline)}`);
    }
    if (r.verdict !== 'ok') {
      failed.push(seed);
      console.log(r.detail.replace(/^/gm, '    '));
      console.log(`    replay: ${replayCommand(seed, args)}`);
    }
  }
  const n = args.to - args.from + 1;
  if (n > 1) console.log(`${n - failed.length}/${n} seeds ok${failed.length ? `; failed: ${failed.join(' ')}` : ''}`);
  return failed.length ? 1 : 0;
}
