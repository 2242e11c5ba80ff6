/**
 * @module peer-args
 * Parses `meshraft peer ...` and `meshraft signaling ...` flags (tables in peer-flags.ts) into
 * typed configs. Every bad flag is a UsageError (the CLI answers with the usage text and exit
 * code 2), never a crash.
 */
import { parseArgs } from 'node:util';
import { parseIceServer } from '@meshraft/transport/webrtc';
import { MAX_MEMBER_TEXT, MAX_MEMBER_URL_LENGTH, MAX_MEMBER_URLS } from 'meshraft/kv';
import { isMemberUrl } from '../peer-url.js';
import { UsageError } from './peer-errors.js';
import { PEER_FLAGS, SIGNALING_FLAGS, usage, type FlagTable, type HelpTopic } from './peer-flags.js';

/** The usage of every command (`meshraft --help`); `usage(topic)` gives one command's. */
export const USAGE = usage();

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
  /** Client URLs to publish (`--advertise-client-urls`); default: the URL the client server bound. */
  readonly advertiseClientUrls?: readonly string[];
  /** Member name to publish (`--name`); default: the node id. */
  readonly name?: string;
  readonly maxRequestBytes: number;
  readonly autoCompaction?: AutoCompaction;
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
  /** `--data FILE|DIR`: where the rooms' recorded cluster ids are kept. */
  readonly data?: string;
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
  const client = clientFlags(v);
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
    ...client,
    ...memberFlags(v),
    relayOnly: v['relay-only'] === true,
    ...ice,
    tickMs: int('tick-ms', v['tick-ms'] as string | undefined, 1, 60_000) ?? 100,
    requestTimeoutMs: int('request-timeout-ms', v['request-timeout-ms'] as string | undefined, 1) ?? 5000,
    fsync: v['no-fsync'] !== true,
    quiet: v.quiet === true,
  };
  return { command: 'peer', config };
}

/** What the peer publishes as its member attributes, within the replicated table's limits. */
function memberFlags(v: Flags): Pick<PeerConfig, 'name' | 'advertiseClientUrls'> {
  const name = v.name as string | undefined;
  if (name !== undefined && (name === '' || name.length > MAX_MEMBER_TEXT)) throw new UsageError(`--name must be 1 to ${MAX_MEMBER_TEXT} characters`);
  const advertise = v['advertise-client-urls'] as string | undefined;
  const urls = advertise?.split(',').map((u) => u.trim());
  if (urls && (urls.length > MAX_MEMBER_URLS || urls.some((u) => !isMemberUrl(u) || u.length > MAX_MEMBER_URL_LENGTH))) {
    throw new UsageError(`--advertise-client-urls must be up to ${MAX_MEMBER_URLS} comma-separated http(s)://HOST:PORT URLs of at most ${MAX_MEMBER_URL_LENGTH} characters, got "${advertise}"`);
  }
  return { ...(name !== undefined && { name }), ...(urls && { advertiseClientUrls: urls }) };
}

/** The client-port flags: where to listen, TLS, limits and auto-compaction. */
function clientFlags(v: Flags): Pick<PeerConfig, 'http' | 'tls' | 'maxRequestBytes' | 'autoCompaction'> {
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
    maxRequestBytes: int('max-request-bytes', str('max-request-bytes'), 1024) ?? 1.5 * 1024 * 1024,
    ...(autoCompaction !== undefined && { autoCompaction }),
  };
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

function requireNonEmpty(flag: string, value: string): string {
  if (value === '') throw new UsageError(`--${flag} must not be empty`);
  return value;
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
    ...(typeof v.data === 'string' && { data: requireNonEmpty('data', v.data) }),
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
