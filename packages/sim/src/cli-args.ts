/**
 * @module cli-args
 * Parses `pnpm sim` arguments. Kept apart from cli.ts so it is testable without running anything.
 */
import { BadSimConfigError } from './errors.js';
import { RUNTIME_BUGS, type RuntimeBug } from './runtime-bug-names.js';
import { HOST_MODES, PIPELINED_BUGS, SIM_BUGS, type HostMode, type SimBug } from './sim-node.js';

const ALL_BUGS: readonly SimBug[] = [...SIM_BUGS, ...PIPELINED_BUGS];

/** `classic`/`pipelined` drive the core through SimNode; `runtime` runs real MeshraftNodes. */
export type CliHost = HostMode | 'runtime';
export const CLI_HOSTS: readonly CliHost[] = [...HOST_MODES, 'runtime'];

export interface CliArgs {
  readonly from: number;
  readonly to: number;
  readonly nodes?: number;
  readonly ticks?: number;
  readonly verbose: boolean;
  readonly messages: boolean;
  readonly retryHeavy: boolean;
  readonly snapshotEvery?: number;
  readonly sessionTtl?: number;
  readonly bug?: SimBug | RuntimeBug;
  readonly host?: CliHost;
  /** Runtime host: virtual milliseconds of the fault phase. */
  readonly faultMs?: number;
  /** Runtime host: the nodes' snapshotEntries (default: 20 or 10,000 by the seed). */
  readonly snapshotEntries?: number;
  readonly maxWriteTicks?: number;
  readonly livenessBound?: number;
  /** Runtime host: no process pauses (FOUND-BUGS.md 8: lease reads are unsafe across them). */
  readonly noPauses?: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: pnpm sim [--seed N | --seeds FROM..TO] [--nodes N] [--ticks N] [--snapshot-every N] [--host classic|pipelined|runtime] [--verbose]
  --seed N           replay one seed (default 1)
  --seeds A..B       run seeds A through B inclusive, one verdict line each
  --nodes N          cluster size (default 3)
  --ticks N          ticks of the fault phase (default 300)
  --snapshot-every N snapshot and compact every N applied entries (default 0: never)
  --session-ttl N    expire client sessions idle for N log entries (default 100000)
  --verbose          print a readable trace of the run
  --messages         like --verbose, plus every delivered message
  --retry-heavy      clients retry every timed-out operation, soon (exercises sessions)
  --host MODE        the nodes' Ready loop: classic (default) or pipelined (writes take simulated
                     time, Readies are taken while writes are in flight and merged), or runtime:
                     real MeshraftNodes (createNode) on a virtual clock, network and disk
  --fault-ms N       runtime: virtual milliseconds of the fault phase (default 3000)
  --snapshot-entries N runtime: compact every N applied entries (default: 20 or 10000 by seed)
  --no-pauses        runtime: never pause a node (SIGSTOP-like); by default a node, the leader
                     half the time, is sometimes paused for 150-600 ms
  --write-ticks N    pipelined: a disk write takes 0..N ticks (default 3)
  --liveness-bound N ticks allowed after healing to elect a leader and commit (default 200)
  --bug NAME         run a deliberately broken host (${SIM_BUGS.join(', ')};
                     with --host pipelined: ${PIPELINED_BUGS.join(', ')};
                     with --host runtime: ${RUNTIME_BUGS.join(', ')}): the checks must fail
Exits non-zero if any seed fails.`;

/** The command that replays one seed with the same options, for failure reports. */
export function replayCommand(
  seed: number,
  o: Partial<Pick<CliArgs, 'nodes' | 'ticks' | 'snapshotEvery' | 'sessionTtl' | 'bug' | 'retryHeavy' | 'host' | 'maxWriteTicks' | 'livenessBound' | 'faultMs' | 'snapshotEntries' | 'noPauses'>> = {},
): string {
  const flags = [
    o.nodes !== undefined ? ` --nodes ${o.nodes}` : '',
    o.ticks !== undefined ? ` --ticks ${o.ticks}` : '',
    o.snapshotEvery !== undefined ? ` --snapshot-every ${o.snapshotEvery}` : '',
    o.sessionTtl !== undefined ? ` --session-ttl ${o.sessionTtl}` : '',
    o.host !== undefined && o.host !== 'classic' ? ` --host ${o.host}` : '',
    o.maxWriteTicks !== undefined ? ` --write-ticks ${o.maxWriteTicks}` : '',
    o.livenessBound !== undefined ? ` --liveness-bound ${o.livenessBound}` : '',
    o.faultMs !== undefined ? ` --fault-ms ${o.faultMs}` : '',
    o.snapshotEntries !== undefined ? ` --snapshot-entries ${o.snapshotEntries}` : '',
    o.noPauses ? ' --no-pauses' : '',
    o.bug !== undefined ? ` --bug ${o.bug}` : '',
    o.retryHeavy ? ' --retry-heavy' : '',
  ].join('');
  return `pnpm sim --seed ${seed}${flags} --verbose`;
}

function int(flag: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new BadSimConfigError(`${flag} needs a non-negative integer, got ${v ?? 'nothing'}`);
  return Number(v);
}

export function parseArgs(argv: readonly string[]): CliArgs {
  let from = 1;
  let to = 1;
  let nodes: number | undefined;
  let ticks: number | undefined;
  let snapshotEvery: number | undefined;
  let sessionTtl: number | undefined;
  let verbose = false;
  let messages = false;
  let retryHeavy = false;
  let bug: SimBug | RuntimeBug | undefined;
  let host: CliHost | undefined;
  let faultMs: number | undefined;
  let snapshotEntries: number | undefined;
  let noPauses = false;
  let maxWriteTicks: number | undefined;
  let livenessBound: number | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? (a.split('=', 2) as [string, string]) : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--seed':
        from = to = int('--seed', value());
        break;
      case '--seeds': {
        const v = value();
        const m = v === undefined ? null : /^(\d+)\.\.(\d+)$/.exec(v);
        if (m === null) throw new BadSimConfigError(`--seeds needs FROM..TO, got ${v ?? 'nothing'}`);
        from = Number(m[1]);
        to = Number(m[2]);
        if (to < from) throw new BadSimConfigError(`--seeds ${v}: TO is before FROM`);
        break;
      }
      case '--nodes':
        nodes = int('--nodes', value());
        break;
      case '--ticks':
        ticks = int('--ticks', value());
        break;
      case '--snapshot-every':
        snapshotEvery = int('--snapshot-every', value());
        break;
      case '--session-ttl':
        sessionTtl = int('--session-ttl', value());
        if (sessionTtl === 0) throw new BadSimConfigError('--session-ttl must be positive');
        break;
      case '--verbose':
      case '-v':
        verbose = true;
        break;
      case '--retry-heavy':
        retryHeavy = true;
        break;
      case '--messages':
        messages = verbose = true;
        break;
      case '--bug': {
        const v = value();
        if (!ALL_BUGS.includes(v as SimBug) && !RUNTIME_BUGS.includes(v as RuntimeBug)) {
          throw new BadSimConfigError(`--bug must be one of ${[...new Set([...ALL_BUGS, ...RUNTIME_BUGS])].join(', ')}, got ${v ?? 'nothing'}`);
        }
        bug = v as SimBug | RuntimeBug;
        break;
      }
      case '--host': {
        const v = value();
        if (!CLI_HOSTS.includes(v as CliHost)) throw new BadSimConfigError(`--host must be one of ${CLI_HOSTS.join(', ')}, got ${v ?? 'nothing'}`);
        host = v as CliHost;
        break;
      }
      case '--fault-ms':
        faultMs = int('--fault-ms', value());
        break;
      case '--no-pauses':
        noPauses = true;
        break;
      case '--snapshot-entries':
        snapshotEntries = int('--snapshot-entries', value());
        if (snapshotEntries === 0) throw new BadSimConfigError('--snapshot-entries must be positive');
        break;
      case '--write-ticks':
        maxWriteTicks = int('--write-ticks', value());
        break;
      case '--liveness-bound':
        livenessBound = int('--liveness-bound', value());
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--':
        break;
      default:
        throw new BadSimConfigError(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (bug !== undefined) {
    const runtime = host === 'runtime';
    if (runtime ? !RUNTIME_BUGS.includes(bug as RuntimeBug) : !ALL_BUGS.includes(bug as SimBug)) {
      throw new BadSimConfigError(
        runtime ? `with --host runtime, --bug must be one of ${RUNTIME_BUGS.join(', ')}` : `--bug ${bug} needs --host runtime`,
      );
    }
  }
  return {
    from,
    to,
    verbose,
    ...(faultMs !== undefined && { faultMs }),
    ...(snapshotEntries !== undefined && { snapshotEntries }),
    ...(noPauses && { noPauses }),
    messages,
    retryHeavy,
    ...(bug !== undefined && { bug }),
    ...(host !== undefined && { host }),
    ...(maxWriteTicks !== undefined && { maxWriteTicks }),
    ...(livenessBound !== undefined && { livenessBound }),
    help,
    ...(nodes !== undefined && { nodes }),
    ...(ticks !== undefined && { ticks }),
    ...(snapshotEvery !== undefined && { snapshotEvery }),
    ...(sessionTtl !== undefined && { sessionTtl }),
  };
}
