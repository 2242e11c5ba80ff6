#!/usr/bin/env node
/**
 * @module cli
 * `pnpm signaling --port N [--host H] [--max-peers N] [--rate N] [--max-frame BYTES] [--tokens a,b]
 *   [--max-connections N] [--max-connections-per-ip N] [--data FILE|DIR]`
 * Runs the signaling server until SIGINT/SIGTERM, then shuts down gracefully (bounded: gone
 * within 5 s). Exit codes as `meshraft`'s (docs/peer.md): 0 after a signal or --help, 1 on a
 * failure, 2 on bad input (flags, a port in use).
 */
import { parseArgs } from 'node:util';
import { RoomRecordsError } from './room-records.js';
import { createSignalingServer } from './signaling-server.js';

const FLAGS = {
  port: { type: 'string', arg: 'N', help: 'port to listen on (default $PORT or 8787; 0 picks a free one)' },
  host: { type: 'string', arg: 'H', help: 'address to listen on (default 0.0.0.0)' },
  'max-peers': { type: 'string', arg: 'N', help: 'peers per room' },
  rate: { type: 'string', arg: 'N', help: 'messages per second per connection' },
  'max-frame': { type: 'string', arg: 'BYTES', help: 'largest frame accepted' },
  'max-connections': { type: 'string', arg: 'N', help: 'connections in all (default: see docs/transport.md)' },
  'max-connections-per-ip': { type: 'string', arg: 'N', help: 'connections from one address' },
  tokens: { type: 'string', arg: 'a,b', help: 'access tokens a client must present' },
  data: { type: 'string', arg: 'FILE|DIR', help: "keep each room's cluster id here (default: memory only)" },
  quiet: { type: 'boolean', help: 'log nothing but the listening line' },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit 0' },
} as const;

const USAGE = `usage: pnpm signaling [flags]\n\nflags:\n${Object.entries(FLAGS)
  .map(([name, f]) => `  ${`${'short' in f ? `-${f.short}, ` : '    '}--${name}${'arg' in f ? ` ${f.arg}` : ''}`.padEnd(24)}${f.help}`)
  .join('\n')}`;

function fail(message: string, code: number): never {
  console.error(`signaling: ${message}${code === 2 ? `\n\n${USAGE}` : ''}`);
  process.exit(code);
}

const argv = process.argv.slice(2);
let values: { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };
try {
  values = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values;
} catch (err) {
  if (argv.includes('--help') || argv.includes('-h')) values = { help: true };
  else fail((err as Error).message.split('\n')[0]!, 2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function int(name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) fail(`--${name} must be an integer in [0, ${max}], got "${value}"`, 2);
  return n;
}

const maxPeersPerRoom = int('max-peers', values['max-peers']);
const messagesPerSecond = int('rate', values.rate);
const maxFrameBytes = int('max-frame', values['max-frame']);
const port = int('port', values.port ?? process.env.PORT ?? '8787', 65535)!;
const host = values.host ?? '0.0.0.0';

/** A connection limit flag; 0 would refuse everyone, so it is rejected here with the flag's name. */
function connectionLimit(flag: 'max-connections' | 'max-connections-per-ip', key: 'maxConnections' | 'maxConnectionsPerIp'): Partial<Record<typeof key, number>> {
  const n = int(flag, values[flag]);
  if (n === undefined) return {};
  if (n < 1) fail(`--${flag} must be at least 1, got "${values[flag]}"`, 2);
  return { [key]: n };
}

const server = await createSignalingServer({
  port,
  host,
  limits: {
    ...(maxPeersPerRoom !== undefined && { maxPeersPerRoom }),
    ...(messagesPerSecond !== undefined && { messagesPerSecond }),
    ...(maxFrameBytes !== undefined && { maxFrameBytes }),
    ...connectionLimit('max-connections', 'maxConnections'),
    ...connectionLimit('max-connections-per-ip', 'maxConnectionsPerIp'),
  },
  ...(values.tokens ? { tokens: values.tokens.split(',') } : {}),
  ...(values.data ? { data: values.data } : {}),
  log: values.quiet ? () => {} : (line) => console.log(line),
}).catch((err: NodeJS.ErrnoException) => {
  if (err instanceof RoomRecordsError) fail(`--data: ${err.message}`, 2);
  if (err.syscall === 'listen' || err.code === 'ENOTFOUND') fail(`cannot listen on ${host}:${port} (${err.code}); choose another with --port or --host`, 2);
  fail(err.message, 1);
});
console.log(`meshraft signaling server listening on port ${server.port} (ws path /signal, GET /healthz, GET /stats)`);

let stopping = false;
const stop = (): void => {
  if (stopping) process.kill(process.pid, 'SIGKILL'); // a second signal: now
  stopping = true;
  // Bounded: close() waits up to 2 s for clients; a stuck one must not keep the process alive.
  setTimeout(() => {
    console.error('signaling: stop did not finish within 5 s; killing the process (SIGKILL)');
    process.kill(process.pid, 'SIGKILL');
  }, 5_000);
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
