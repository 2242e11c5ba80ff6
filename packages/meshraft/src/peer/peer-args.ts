/**
 * @module peer-args
 * Parses `meshraft peer ...` and `meshraft signaling ...` flags (tables in peer-flags.ts) into
 * typed configs. Every bad flag is a UsageError (the CLI answers with the usage text and exit
 * code 2), never a crash.
 */
import { parseArgs } from 'node:util';
import { parseIceServer } from '@meshraft/transport/webrtc';
import { UsageError } from './peer-errors.js';
import { PEER_FLAGS, SIGNALING_FLAGS, usage, type FlagTable, type HelpTopic } from './peer-flags.js';

/** The usage of every command (`meshraft --help`); `usage(topic)` gives one command's. */
export const USAGE = usage();

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerConfig {
  readonly cluster: string;
  readonly signaling: string;
  readonly data: string;
  readonly id?: string;
  readonly bootstrap: boolean;
  readonly secret?: string;
  readonly http?: HttpAddress;
  readonly relayOnly: boolean;
  /** STUN/TURN servers for the WebRTC transport (`--ice-server`, in order). */
  readonly iceServers?: readonly RTCIceServer[];
  readonly iceTransportPolicy?: 'all' | 'relay';
  readonly tickMs: number;
  readonly requestTimeoutMs: number;
  readonly fsync: boolean;
  readonly quiet: boolean;
}

export interface SignalingConfig {
  readonly port: number;
  readonly host: string;
  readonly messagesPerSecond?: number;
  readonly maxPeersPerRoom?: number;
  readonly maxConnections?: number;
  readonly maxConnectionsPerIp?: number;
}

export type Command =
  | { readonly command: 'peer'; readonly config: PeerConfig }
  | { readonly command: 'signaling'; readonly config: SignalingConfig }
  | { readonly command: 'help'; readonly topic: HelpTopic };

type Flags = Record<string, string | boolean | string[] | undefined>;

/** The flags' values, or null for `--help`/`-h` (even beside bad flags). */
function parse(args: readonly string[], table: FlagTable): Flags | null {
  const options = Object.fromEntries(
    Object.entries(table).map(([name, f]) => [name, { type: f.type, ...(f.short && { short: f.short }), ...(f.multiple && { multiple: true }) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    if (args.includes('--help') || args.includes('-h')) return null;
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  if (parsed.values.help === true) return null;
  // A flag given twice is two answers to one question: refuse rather than silently keep the last.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || table[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once`);
    seen.add(t.name);
  }
  return parsed.values as Flags;
}

function int(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** `PORT`, `:PORT` or `HOST:PORT` (IPv6 hosts in brackets: `[::1]:2379`). */
export function parseHttpAddress(addr: string): HttpAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d+)$/.exec(addr);
  const port = m ? int('http', m[2], 0, 65535) : undefined;
  if (!m || port === undefined) throw new UsageError(`--http must be [HOST:]PORT, got "${addr}"`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

/** A ws:// or wss:// URL with a host (the WHATWG parser also refuses a port above 65535). */
function signalingUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') {
    throw new UsageError(`--signaling must be a ws:// or wss:// URL with a host, got "${value}"`);
  }
  return value;
}

function parsePeer(args: readonly string[]): Command {
  const v = parse(args, PEER_FLAGS);
  if (v === null) return { command: 'help', topic: 'peer' };
  const signaling = signalingUrl(required('signaling', v.signaling as string | undefined));
  if (v.id === '') throw new UsageError('--id must not be empty');
  const ice = parseIce(v);
  if (v['relay-only'] === true && (ice.iceServers !== undefined || ice.iceTransportPolicy !== undefined)) {
    throw new UsageError('--ice-server and --ice-transport-policy configure WebRTC, which --relay-only turns off: drop one');
  }
  const config: PeerConfig = {
    cluster: required('cluster', v.cluster as string | undefined),
    signaling,
    data: required('data', v.data as string | undefined),
    ...(v.id !== undefined && { id: v.id as string }),
    bootstrap: v.bootstrap === true,
    ...(v.secret !== undefined && { secret: v.secret as string }),
    ...(v.http !== undefined && { http: parseHttpAddress(v.http as string) }),
    relayOnly: v['relay-only'] === true,
    ...ice,
    tickMs: int('tick-ms', v['tick-ms'] as string | undefined, 1, 60_000) ?? 100,
    requestTimeoutMs: int('request-timeout-ms', v['request-timeout-ms'] as string | undefined, 1) ?? 5000,
    fsync: v['no-fsync'] !== true,
    quiet: v.quiet === true,
  };
  return { command: 'peer', config };
}

function parseIce(v: Flags): Pick<PeerConfig, 'iceServers' | 'iceTransportPolicy'> {
  const specs = (v['ice-server'] as string[] | undefined) ?? [];
  const iceServers = specs.map((spec) => {
    try {
      return parseIceServer(spec);
    } catch (err) {
      throw new UsageError(`--ice-server: ${(err as Error).message}`);
    }
  });
  const policy = v['ice-transport-policy'] as string | undefined;
  if (policy !== undefined && policy !== 'all' && policy !== 'relay') {
    throw new UsageError(`--ice-transport-policy must be "all" or "relay", got "${policy}"`);
  }
  if (policy === 'relay' && !iceServers.some((s) => /^turns?:/.test(String(s.urls)))) {
    throw new UsageError('--ice-transport-policy relay needs a TURN server: add --ice-server turn:HOST:PORT,USER,CREDENTIAL');
  }
  return {
    ...(iceServers.length > 0 && { iceServers }),
    ...(policy !== undefined && { iceTransportPolicy: policy }),
  };
}

function parseSignaling(args: readonly string[]): Command {
  const v = parse(args, SIGNALING_FLAGS);
  if (v === null) return { command: 'help', topic: 'signaling' };
  if (v.host === '') throw new UsageError('--host must not be empty');
  const rate = int('rate', v.rate as string | undefined, 1);
  const maxPeers = int('max-peers', v['max-peers'] as string | undefined, 1);
  const maxConnections = int('max-connections', v['max-connections'] as string | undefined, 1);
  const maxConnectionsPerIp = int('max-connections-per-ip', v['max-connections-per-ip'] as string | undefined, 1);
  const config: SignalingConfig = {
    port: int('port', (v.port as string | undefined) ?? '8787', 0, 65535)!,
    host: (v.host as string | undefined) ?? '0.0.0.0',
    ...(rate !== undefined && { messagesPerSecond: rate }),
    ...(maxPeers !== undefined && { maxPeersPerRoom: maxPeers }),
    ...(maxConnections !== undefined && { maxConnections }),
    ...(maxConnectionsPerIp !== undefined && { maxConnectionsPerIp }),
  };
  return { command: 'signaling', config };
}

/** `argv` without the runtime and script: `['peer', '--cluster', ...]`. */
export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case 'peer':
      return parsePeer(rest);
    case 'signaling':
      return parseSignaling(rest);
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help', topic: rest[0] === 'peer' || rest[0] === 'signaling' ? rest[0] : 'all' };
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
