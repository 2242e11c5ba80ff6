/**
 * @module peer-args
 * Parses `meshraft peer ...` and `meshraft signaling ...` flags into typed configs. Every bad
 * flag is a UsageError (the CLI answers with the usage text and exit code 2), never a crash.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './peer-errors.js';

export const USAGE = `usage:
  meshraft peer --cluster NAME --signaling ws://HOST:PORT --data DIR [--id ID] [--bootstrap]
                [--secret S] [--http ADDR | --listen-client-urls URL] [--advertise-client-urls URL]
                [--cert-file F --key-file F [--trusted-ca-file F] [--client-cert-auth]]
                [--max-request-bytes N] [--auto-compaction-mode periodic|revision]
                [--auto-compaction-retention N] [--relay-only] [--tick-ms N]
                [--request-timeout-ms N] [--no-fsync] [--quiet]
  meshraft signaling [--port N] [--host H] [--rate N] [--max-peers N]

peer flags:
  --cluster NAME          cluster (and signaling room) name
  --signaling URL         signaling server, ws:// or wss://
  --data DIR              data directory (file storage; locked while the peer runs)
  --id ID                 node id for a new data directory (default: random; then the stored id)
  --bootstrap             found a new cluster; ignored when DIR already holds state
  --secret S              room secret: signals and relayed frames are end-to-end sealed
  --http ADDR             serve etcd's v3 API (gRPC and the JSON gateway, /metrics) on [HOST:]PORT
  --listen-client-urls U  the same, as etcd spells it: http://HOST:PORT or https://HOST:PORT (one URL)
  --advertise-client-urls U  client URL shown in member list (default: the listen URL)
  --cert-file, --key-file TLS certificate and key for the client port (etcd's flags)
  --trusted-ca-file F     CA that client certificates must chain to
  --client-cert-auth      require a client certificate signed by --trusted-ca-file
  --max-request-bytes N   largest client request (default 1572864, etcd's 1.5 MiB)
  --auto-compaction-mode M      periodic (retention in hours) or revision (retention in revisions)
  --auto-compaction-retention N keep this much history: revisions, or hours / a duration (30m)
                          in periodic mode; 0 (default) disables auto-compaction
  --relay-only            never use WebRTC; every frame goes through the signaling relay
  --tick-ms N             Raft tick (default 100; election timeout is 10-20 ticks)
  --request-timeout-ms N  HTTP request deadline, including the wait for a leader (default 5000)
  --no-fsync              skip fsync (faster, not durable across power loss; default: fsync on)
  --quiet                 log errors only`;

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

export interface ClientTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile?: string;
  readonly clientCertAuth: boolean;
}

export type AutoCompaction =
  /** Keep `retentionMs` of history. */
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  /** Keep the last `retention` revisions. */
  | { readonly mode: 'revision'; readonly retention: number };

/** etcd's retention: revisions in revision mode; in periodic mode hours, or a duration (30m, 1h, 10s). */
function parseRetention(mode: 'periodic' | 'revision', value: string | undefined): AutoCompaction | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
  if (!m || (mode === 'revision' && m[2] !== undefined)) {
    throw new UsageError(`--auto-compaction-retention must be ${mode === 'revision' ? 'a number of revisions' : 'hours or a duration like 30m'}, got "${value}"`);
  }
  const n = Number(m[1]);
  if (n === 0) return undefined;
  if (mode === 'revision') return { mode, retention: n };
  const unitMs = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return { mode, retentionMs: n * unitMs };
}

export interface PeerConfig {
  readonly cluster: string;
  readonly signaling: string;
  readonly data: string;
  readonly id?: string;
  readonly bootstrap: boolean;
  readonly secret?: string;
  readonly http?: HttpAddress;
  /** TLS on the client port (https:// listen URL, or --cert-file with --http). */
  readonly tls?: ClientTlsFiles;
  readonly advertiseClientUrls?: string;
  readonly maxRequestBytes: number;
  readonly autoCompaction?: AutoCompaction;
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
    'listen-client-urls': { type: 'string' },
    'advertise-client-urls': { type: 'string' },
    'cert-file': { type: 'string' },
    'key-file': { type: 'string' },
    'trusted-ca-file': { type: 'string' },
    'client-cert-auth': { type: 'boolean', default: false },
    'max-request-bytes': { type: 'string' },
    'auto-compaction-mode': { type: 'string' },
    'auto-compaction-retention': { type: 'string' },
    'relay-only': { type: 'boolean', default: false },
    'tick-ms': { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'no-fsync': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  });
  const signaling = required('signaling', v.signaling as string | undefined);
  if (!/^wss?:\/\/[^/]/.test(signaling)) throw new UsageError(`--signaling must be a ws:// or wss:// URL, got "${signaling}"`);
  if (v.id === '') throw new UsageError('--id must not be empty');
  const client = clientFlags(v);
  return {
    cluster: required('cluster', v.cluster as string | undefined),
    signaling,
    data: required('data', v.data as string | undefined),
    ...(v.id !== undefined && { id: v.id as string }),
    bootstrap: v.bootstrap === true,
    ...(v.secret !== undefined && { secret: v.secret as string }),
    ...client,
    relayOnly: v['relay-only'] === true,
    tickMs: int('tick-ms', v['tick-ms'] as string | undefined, 1, 60_000) ?? 100,
    requestTimeoutMs: int('request-timeout-ms', v['request-timeout-ms'] as string | undefined, 1) ?? 5000,
    fsync: v['no-fsync'] !== true,
    quiet: v.quiet === true,
  };
}

/** The client-port flags: where to listen, TLS, limits and auto-compaction. */
function clientFlags(v: Flags): Pick<PeerConfig, 'http' | 'tls' | 'advertiseClientUrls' | 'maxRequestBytes' | 'autoCompaction'> {
  const str = (name: string) => v[name] as string | undefined;
  const listen = str('listen-client-urls');
  if (listen !== undefined && v.http !== undefined) throw new UsageError('--http and --listen-client-urls are the same thing: give one');
  let http: HttpAddress | undefined;
  let https = false;
  if (listen !== undefined) {
    const m = /^(https?):\/\/(.+?)\/?$/.exec(listen);
    if (!m || listen.includes(',')) throw new UsageError(`--listen-client-urls must be one http:// or https:// URL, got "${listen}"`);
    https = m[1] === 'https';
    http = parseHttpAddress(m[2]!);
  } else if (v.http !== undefined) {
    http = parseHttpAddress(v.http as string);
  }
  const certFile = str('cert-file');
  const keyFile = str('key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert-file and --key-file go together');
  if (https && certFile === undefined) throw new UsageError('an https:// client URL needs --cert-file and --key-file');
  if (listen !== undefined && !https && certFile !== undefined) throw new UsageError('--cert-file with an http:// client URL: use https://');
  const ca = str('trusted-ca-file');
  if ((ca !== undefined || v['client-cert-auth'] === true) && certFile === undefined) {
    throw new UsageError('--trusted-ca-file and --client-cert-auth need --cert-file and --key-file');
  }
  if (v['client-cert-auth'] === true && ca === undefined) throw new UsageError('--client-cert-auth needs --trusted-ca-file');
  const mode = str('auto-compaction-mode');
  if (mode !== undefined && mode !== 'periodic' && mode !== 'revision') {
    throw new UsageError(`--auto-compaction-mode must be periodic or revision, got "${mode}"`);
  }
  const autoCompaction = parseRetention(mode === 'revision' ? 'revision' : 'periodic', str('auto-compaction-retention'));
  return {
    ...(http !== undefined && { http }),
    ...(certFile !== undefined &&
      keyFile !== undefined && {
        tls: { certFile, keyFile, ...(ca !== undefined && { trustedCaFile: ca }), clientCertAuth: v['client-cert-auth'] === true },
      }),
    ...(str('advertise-client-urls') !== undefined && { advertiseClientUrls: str('advertise-client-urls')! }),
    maxRequestBytes: int('max-request-bytes', str('max-request-bytes'), 1024) ?? 1.5 * 1024 * 1024,
    ...(autoCompaction !== undefined && { autoCompaction }),
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
