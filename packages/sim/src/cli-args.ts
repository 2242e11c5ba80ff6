/**
 * @module cli-args
 * Parses `pnpm sim` arguments. Kept apart from cli.ts so it is testable without running anything.
 */
import { BadSimConfigError } from './errors.js';
import { HOST_MODES, PIPELINED_BUGS, SIM_BUGS, type HostMode, type SimBug } from './sim-node.js';

const ALL_BUGS: readonly SimBug[] = [...SIM_BUGS, ...PIPELINED_BUGS];

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
  readonly bug?: SimBug;
  readonly host?: HostMode;
  readonly maxWriteTicks?: number;
  readonly livenessBound?: number;
  readonly help: boolean;
}

export const USAGE = `usage: pnpm sim [--seed N | --seeds FROM..TO] [--nodes N] [--ticks N] [--snapshot-every N] [--host classic|pipelined] [--verbose]
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
                     time, Readies are taken while writes are in flight and merged)
  --write-ticks N    pipelined: a disk write takes 0..N ticks (default 3)
  --liveness-bound N ticks allowed after healing to elect a leader and commit (default 200)
  --bug NAME         run a deliberately broken host (${SIM_BUGS.join(', ')};
                     with --host pipelined: ${PIPELINED_BUGS.join(', ')}): the checks must fail
Exits non-zero if any seed fails.`;

/** The command that replays one seed with the same options, for failure reports. */
export function replayCommand(
  seed: number,
  o: Partial<Pick<CliArgs, 'nodes' | 'ticks' | 'snapshotEvery' | 'sessionTtl' | 'bug' | 'retryHeavy' | 'host' | 'maxWriteTicks' | 'livenessBound'>> = {},
): string {
  const flags = [
    o.nodes !== undefined ? ` --nodes ${o.nodes}` : '',
    o.ticks !== undefined ? ` --ticks ${o.ticks}` : '',
    o.snapshotEvery !== undefined ? ` --snapshot-every ${o.snapshotEvery}` : '',
    o.sessionTtl !== undefined ? ` --session-ttl ${o.sessionTtl}` : '',
    o.host !== undefined && o.host !== 'classic' ? ` --host ${o.host}` : '',
    o.maxWriteTicks !== undefined ? ` --write-ticks ${o.maxWriteTicks}` : '',
    o.livenessBound !== undefined ? ` --liveness-bound ${o.livenessBound}` : '',
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
  let bug: SimBug | undefined;
  let host: HostMode | undefined;
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
        if (!ALL_BUGS.includes(v as SimBug)) throw new BadSimConfigError(`--bug must be one of ${ALL_BUGS.join(', ')}, got ${v ?? 'nothing'}`);
        bug = v as SimBug;
        break;
      }
      case '--host': {
        const v = value();
        if (!HOST_MODES.includes(v as HostMode)) throw new BadSimConfigError(`--host must be one of ${HOST_MODES.join(', ')}, got ${v ?? 'nothing'}`);
        host = v as HostMode;
        break;
      }
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
  return {
    from,
    to,
    verbose,
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
