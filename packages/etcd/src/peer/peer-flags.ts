/**
 * @module peer-flags
 * The flags of `meshraft peer` and `meshraft signaling`, one table each. The table feeds both
 * `node:util` parseArgs and the usage text, so a new flag is one row here (plus its mapping in
 * peer-args.ts) and shows up in `--help` by itself.
 */

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the usage (string flags). */
  readonly arg?: string;
  readonly short?: string;
  /** May be given more than once (the parser then sees every value). */
  readonly multiple?: boolean;
  readonly help: string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

const HELP: FlagSpec = { type: 'boolean', short: 'h', help: 'print this help and exit 0' };

export const PEER_FLAGS = {
  cluster: { type: 'string', arg: 'NAME', help: 'cluster (and signaling room) name (required)' },
  signaling: { type: 'string', arg: 'URL', help: 'signaling server, ws:// or wss:// (required)' },
  data: { type: 'string', arg: 'DIR', help: 'data directory, created if missing; locked while the peer runs (required)' },
  id: { type: 'string', arg: 'ID', help: 'node id for a new data directory (default: random; then the stored id)' },
  bootstrap: { type: 'boolean', help: 'found a new cluster (exit 2 if the room has one); ignored when DIR holds state' },
  secret: { type: 'string', arg: 'S', help: 'room secret: signals and relayed frames are end-to-end sealed' },
  http: { type: 'string', arg: 'ADDR', help: "serve etcd's v3 API (gRPC and the JSON gateway, /metrics) on [HOST:]PORT" },
  'listen-client-urls': { type: 'string', arg: 'URL', help: 'the same, as etcd spells it: http://HOST:PORT or https://HOST:PORT (one URL)' },
  'advertise-client-urls': { type: 'string', arg: 'URLS', help: 'client URLs published for member list, comma-separated (default: the listen URL)' },
  name: { type: 'string', arg: 'NAME', help: 'member name published for member list (default: the node id)' },
  'cert-file': { type: 'string', arg: 'F', help: 'TLS certificate for the client port (with --key-file)' },
  'key-file': { type: 'string', arg: 'F', help: 'TLS key for the client port' },
  'trusted-ca-file': { type: 'string', arg: 'F', help: 'CA that client certificates must chain to' },
  'client-cert-auth': { type: 'boolean', help: 'require a client certificate signed by --trusted-ca-file' },
  'max-request-bytes': { type: 'string', arg: 'N', help: "largest client request (default 1572864, etcd's 1.5 MiB)" },
  'auto-compaction-mode': { type: 'string', arg: 'M', help: 'periodic (retention in hours) or revision (retention in revisions)' },
  'auto-compaction-retention': { type: 'string', arg: 'N', help: 'history to keep: revisions, or hours / a duration (30m) in periodic mode; 0 (default) disables' },
  'relay-only': { type: 'boolean', help: 'never use WebRTC; every frame goes through the signaling relay' },
  'ice-server': {
    type: 'string',
    arg: 'SPEC',
    multiple: true,
    help: 'STUN/TURN server for WebRTC, repeatable: stun:HOST[:PORT] or turn[s]:HOST[:PORT][?transport=udp|tcp],USER,CREDENTIAL',
  },
  'ice-transport-policy': { type: 'string', arg: 'P', help: "'relay': direct links only through TURN (default 'all')" },
  'tick-ms': { type: 'string', arg: 'N', help: 'Raft tick (default 100; election timeout is 10-20 ticks)' },
  'request-timeout-ms': { type: 'string', arg: 'N', help: 'HTTP request deadline, including the wait for a leader (default 5000)' },
  'no-fsync': { type: 'boolean', help: 'skip fsync (faster, not durable across power loss; default: fsync on)' },
  quiet: { type: 'boolean', help: 'log errors only' },
  help: HELP,
} as const satisfies FlagTable;

export const SIGNALING_FLAGS = {
  port: { type: 'string', arg: 'N', help: 'port to listen on (default 8787; 0 picks a free one)' },
  host: { type: 'string', arg: 'H', help: 'address to listen on (default 0.0.0.0)' },
  rate: { type: 'string', arg: 'N', help: 'messages per second per connection' },
  'max-peers': { type: 'string', arg: 'N', help: 'peers per room' },
  'max-connections': { type: 'string', arg: 'N', help: 'connections in all (default: see docs/transport.md)' },
  'max-connections-per-ip': { type: 'string', arg: 'N', help: 'connections from one address' },
  data: { type: 'string', arg: 'FILE|DIR', help: "keep each room's cluster id here (default: memory only)" },
  help: HELP,
} as const satisfies FlagTable;

const SYNOPSIS = {
  peer: 'meshraft peer --cluster NAME --signaling URL --data DIR [flags]',
  signaling: 'meshraft signaling [flags]',
} as const;

export type HelpTopic = keyof typeof SYNOPSIS | 'all';

const EXIT_CODES = `exit codes:
  0  stopped by SIGINT/SIGTERM (or --help)
  1  failed at start-up or while running (data directory locked by another process, I/O error)
  2  bad input: unknown or invalid flags, an unusable --data directory, a listen address in use`;

function flagLines(flags: FlagTable): string {
  const names = Object.entries(flags).map(([name, f]) => [`${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`, f.help] as const);
  const width = Math.max(...names.map(([n]) => n.length)) + 2;
  return names.map(([n, help]) => `  ${n.padEnd(width)}${help}`).join('\n');
}

/** The usage text of one command, or of all (`meshraft --help`). */
export function usage(topic: HelpTopic = 'all'): string {
  const synopsis = topic === 'all' ? Object.values(SYNOPSIS) : [SYNOPSIS[topic]];
  const sections = [
    `usage:\n${synopsis.map((s) => `  ${s}`).join('\n')}${topic === 'all' ? '\n  meshraft [peer | signaling] --help' : ''}`,
    ...(topic !== 'signaling' ? [`peer flags:\n${flagLines(PEER_FLAGS)}`] : []),
    ...(topic !== 'peer' ? [`signaling flags:\n${flagLines(SIGNALING_FLAGS)}`] : []),
    EXIT_CODES,
  ];
  return sections.join('\n\n');
}
