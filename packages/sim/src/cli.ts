/**
 * @module cli
 * `pnpm sim --seed N` replays one seed; `pnpm sim --seeds A..B` runs a range. One verdict line per
 * seed; details and the replay command for failures; exit code 1 if any seed failed.
 */
import { MeshraftError } from '@meshraft/core';
import { parseArgs, replayCommand, USAGE, type CliArgs } from './cli-args.js';
import type { RuntimeBug } from './runtime/runtime-bugs.js';
import { formatRuntimeVerdictLine, simulateRuntime, type RuntimeSimOptions } from './runtime/runtime-simulator.js';
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

function runtimeOptionsFor(args: CliArgs, seed: number): Partial<RuntimeSimOptions> & { seed: number } {
  return {
    seed,
    ...(args.faultMs !== undefined && { faultMs: args.faultMs }),
    ...(args.snapshotEntries !== undefined && { snapshotEntries: args.snapshotEntries }),
    ...(args.bug !== undefined && { bug: args.bug as RuntimeBug }),
    ...(args.noPauses && { rates: { pause: 0 } }),
    ...(args.verbose && { trace: (line: string) => console.log(line) }),
  };
}

/** `--host runtime`: real MeshraftNodes; one verdict line per seed, replay command on failure. */
async function mainRuntime(args: CliArgs): Promise<number> {
  const failed: number[] = [];
  for (let seed = args.from; seed <= args.to; seed++) {
    const r = await simulateRuntime(runtimeOptionsFor(args, seed));
    console.log(formatRuntimeVerdictLine(r));
    if (args.verbose) {
      console.log(`    cluster: ${JSON.stringify(r.cluster)}`);
      console.log(`    clients: ${JSON.stringify(r.clients)}; liveness: ${r.livenessMs ?? 'none'} ms after healing`);
      console.log(`    messages: ${JSON.stringify(r.messages)}; snapshotEntries ${r.snapshotEntries}; trace sha256 ${r.traceHash}`);
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

async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof MeshraftError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.host === 'runtime') return mainRuntime(args);
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

process.exitCode = await main(process.argv.slice(2));
