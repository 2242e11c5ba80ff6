/**
 * @module peer-args
 * Parses `meshraft peer ...` and `meshraft signaling ...` flags into typed configs. Every bad
 * flag is a UsageError (the CLI answers with the usage text and exit code 2), never a crash.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './peer-errors.js';

export const USAGE = `usage:
  meshraft peer --cluster NAME --signaling ws://HOST:PORT --data DIR [--id ID] [--bootstrap]
                [--secret S] [--http ADDR] [--relay-only] [--tick-ms N] [--request-timeout-ms N]
                [--no-fsync] [--quiet]
  meshraft signaling [--port N] [--host H] [--rate N] [--max-peers N]

peer flags:
  --cluster NAME          cluster (and signaling room) name
  --signaling URL         signaling server, ws:// or wss://
  --data DIR              data directory (file storage; locked while the peer runs)
  --id ID                 node id for a new data directory (default: random; then the stored id)
  --bootstrap             found a new cluster; ignored when DIR already holds state
  --secret S              room secret: signals and relayed frames are end-to-end sealed
  --http ADDR             serve the etcd v3 JSON gateway and /metrics on [HOST:]PORT
  --relay-only            never use WebRTC; every frame goes through the signaling relay
  --tick-ms N             Raft tick (default 100; election timeout is 10-20 ticks)
  --request-timeout-ms N  HTTP request deadline, including the wait for a leader (default 5000)
  --no-fsync              skip fsync (faster, not durable across power loss; default: fsync on)
  --quiet                 log errors only`;

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
}

export type Command =
  | { readonly command: 'peer'; readonly config: PeerConfig }
  | { readonly command: 'signaling'; readonly config: SignalingConfig }
  | { readonly command: 'help' };

type Flags = Record<string, string | boolean | undefined>;
type FlagSpecs = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

function parse(args: readonly string[], options: FlagSpecs): Flags {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as Flags;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
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

function parsePeer(args: readonly string[]): PeerConfig {
  const v = parse(args, {
    cluster: { type: 'string' },
    signaling: { type: 'string' },
    data: { type: 'string' },
    id: { type: 'string' },
    bootstrap: { type: 'boolean', default: false },
    secret: { type: 'string' },
    http: { type: 'string' },
    'relay-only': { type: 'boolean', default: false },
    'tick-ms': { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'no-fsync': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  });
  const signaling = required('signaling', v.signaling as string | undefined);
  if (!/^wss?:\/\/[^/]/.test(signaling)) throw new UsageError(`--signaling must be a ws:// or wss:// URL, got "${signaling}"`);
  if (v.id === '') throw new UsageError('--id must not be empty');
  return {
    cluster: required('cluster', v.cluster as string | undefined),
    signaling,
    data: required('data', v.data as string | undefined),
    ...(v.id !== undefined && { id: v.id as string }),
    bootstrap: v.bootstrap === true,
    ...(v.secret !== undefined && { secret: v.secret as string }),
    ...(v.http !== undefined && { http: parseHttpAddress(v.http as string) }),
    relayOnly: v['relay-only'] === true,
    tickMs: int('tick-ms', v['tick-ms'] as string | undefined, 1, 60_000) ?? 100,
    requestTimeoutMs: int('request-timeout-ms', v['request-timeout-ms'] as string | undefined, 1) ?? 5000,
    fsync: v['no-fsync'] !== true,
    quiet: v.quiet === true,
  };
}

function parseSignaling(args: readonly string[]): SignalingConfig {
  const v = parse(args, {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '0.0.0.0' },
    rate: { type: 'string' },
    'max-peers': { type: 'string' },
  });
  const rate = int('rate', v.rate as string | undefined, 1);
  const maxPeers = int('max-peers', v['max-peers'] as string | undefined, 1);
  return {
    port: int('port', v.port as string, 0, 65535)!,
    host: v.host as string,
    ...(rate !== undefined && { messagesPerSecond: rate }),
    ...(maxPeers !== undefined && { maxPeersPerRoom: maxPeers }),
  };
}

/** `argv` without the runtime and script: `['peer', '--cluster', ...]`. */
export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case 'peer':
      return { command, config: parsePeer(rest) };
    case 'signaling':
      return { command, config: parseSignaling(rest) };
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
