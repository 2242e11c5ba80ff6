/**
 * @module cli
 * `pnpm sim`: `--seed N` replays one seed, `--seeds A..B` runs a range, one verdict line per seed,
 * details and the replay command for failures, exit code 1 if any seed failed. `--host runtime`
 * runs real MeshraftNodes (this package); the other hosts run @meshraft/sim's SimNode.
 */
import { MeshraftError } from '@meshraft/core';
import { parseArgs, replayCommand, runCoreCli, USAGE, type CliArgs, type RuntimeBug } from '@meshraft/sim';
import { formatFoundingVerdictLine, simulateFounding } from './founding-sim.js';
import { formatRuntimeVerdictLine, simulateRuntime, type RuntimeSimOptions } from './runtime-simulator.js';

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
      console.log(`    leases: ${JSON.stringify(r.leases)}`);
      console.log(`    clients: ${JSON.stringify(r.clients)}; liveness: ${r.livenessMs ?? 'none'} ms after healing`);
      console.log(`    messages: ${JSON.stringify(r.messages)}; snapshotEntries ${r.snapshotEntries}; trace sha256 ${r.traceHash}`);
    }
    if (r.verdict !== 'ok') {
      failed.push(seed);
      console.log(r.detail.replace(/^/gm, '    '));
      console.log(`    replay: ${replayCommand(seed, args)}`);
    }
    // Founders racing under one name (founding-sim): a second run per seed, without --bug.
    if (args.bug === undefined) {
      const f = await simulateFounding(seed, args.verbose ? (line) => console.log(line) : undefined);
      console.log(formatFoundingVerdictLine(f));
      if (f.verdict !== 'ok') {
        if (!failed.includes(seed)) failed.push(seed);
        console.log(f.detail.replace(/^/gm, '    '));
        console.log(`    replay: ${replayCommand(seed, args)}`);
      }
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
  return args.host === 'runtime' ? mainRuntime(args) : runCoreCli(args);
}

process.exitCode = await main(process.argv.slice(2));
