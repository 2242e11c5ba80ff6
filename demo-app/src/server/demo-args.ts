/**
 * @module demo-args
 * `pnpm demo` flags. A bad flag is a DemoUsageError (usage text, exit code 2), never a crash.
 */
import { parseArgs } from 'node:util';
import { MeshraftError } from '@meshraft/core';
import { parseIceServer } from '@meshraft/transport/webrtc';

export const DEMO_USAGE = `usage: pnpm demo [--port N] [--host H] [--peer [--bootstrap]] [--room NAME] [--peer-data DIR] [--data FILE|DIR]
                 [--rebuild] [--build-only]
                 [--ice-server URL[,USER,CREDENTIAL]]... [--ice-relay]
  --port N         port for the page and the signaling server (default 8787; 0 picks a free one)
  --host H         interface to listen on (default 127.0.0.1; 0.0.0.0 for other machines)
  --peer           also run a durable Node peer (meshraft peer, file storage) in the room
  --bootstrap      with --peer: the peer founds the room's board (else it joins the room's one)
  --room NAME      the room the printed URL and --peer use (default: "demo" with --peer, else random per tab)
  --peer-data DIR  the peer's data directory (default demo-app/.data/<room>)
  --peer-tick N    the peer's Raft tick in ms (default 100; match the tabs' ?tick)
  --data FILE|DIR  keep each room's cluster id here, so a restarted demo still knows the room's board
                   (a directory holds signaling-rooms.json; default: memory only)
  --ice-server S   STUN/TURN server every page (and --peer) uses, repeatable: stun:HOST[:PORT] or
                   turn[s]:HOST[:PORT][?transport=udp|tcp],USER,CREDENTIAL (a page's ?ice= overrides)
  --ice-relay      direct links only through TURN (needs a turn: --ice-server)
  --rebuild        build the page even if the build is current
  --build-only     build and exit`;

/** A bad `pnpm demo` flag. Code `DEMO_USAGE`. */
export class DemoUsageError extends MeshraftError {
  constructor(message: string) {
    super('DEMO_USAGE', message);
  }
}

export interface DemoArgs {
  readonly port: number;
  readonly host: string;
  readonly peer: boolean;
  /** `--bootstrap` (with --peer): the peer founds the board; founding is never implicit. */
  readonly bootstrap: boolean;
  readonly room: string | null;
  readonly peerData: string | null;
  readonly peerTick: number;
  /** `--data`: the signaling server's room records file or directory (null: memory only). */
  readonly data: string | null;
  readonly rebuild: boolean;
  readonly buildOnly: boolean;
  /** `--ice-server` specs, checked. */
  readonly iceServers: readonly string[];
  readonly iceRelay: boolean;
  readonly help: boolean;
}

const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new DemoUsageError(`--${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let v;
  try {
    v = parseArgs({
      args: argv.filter((a) => a !== '--'),
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        peer: { type: 'boolean', default: false },
        bootstrap: { type: 'boolean', default: false },
        room: { type: 'string' },
        'peer-data': { type: 'string' },
        'peer-tick': { type: 'string' },
        data: { type: 'string' },
        rebuild: { type: 'boolean', default: false },
        'ice-server': { type: 'string', multiple: true },
        'ice-relay': { type: 'boolean', default: false },
        'build-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    throw new DemoUsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  const room = v.room ?? null;
  if (room !== null && !ROOM_RE.test(room)) throw new DemoUsageError('--room: use 1-64 letters, digits, ".", "_" or "-"');
  if (v.bootstrap === true && v.peer !== true) throw new DemoUsageError('--bootstrap needs --peer (a tab founds with its "New board" button)');
  if (v['peer-data'] === '') throw new DemoUsageError('--peer-data must not be empty');
  if (v.data === '') throw new DemoUsageError('--data must not be empty');
  if (v.host === '') throw new DemoUsageError('--host must not be empty');
  const iceServers = v['ice-server'] ?? [];
  const parsed = iceServers.map((spec) => {
    try {
      return parseIceServer(spec);
    } catch (err) {
      throw new DemoUsageError(`--ice-server: ${(err as Error).message}`);
    }
  });
  if (v['ice-relay'] === true && !parsed.some((x) => /^turns?:/.test(String(x.urls)))) {
    throw new DemoUsageError('--ice-relay needs a TURN server: add --ice-server turn:HOST:PORT,USER,CREDENTIAL');
  }
  return {
    port: int('port', v.port, 8787, 0, 65535),
    host: v.host ?? '127.0.0.1',
    peer: v.peer === true,
    bootstrap: v.bootstrap === true,
    room,
    peerData: v['peer-data'] ?? null,
    peerTick: int('peer-tick', v['peer-tick'], 100, 5, 1000),
    data: v.data ?? null,
    rebuild: v.rebuild === true,
    buildOnly: v['build-only'] === true,
    iceServers,
    iceRelay: v['ice-relay'] === true,
    help: v.help === true,
  };
}
