#!/usr/bin/env node
/**
 * @module cli
 * `pnpm signaling --port N [--host H] [--max-peers N] [--rate N] [--max-frame BYTES] [--tokens a,b]
 *   [--max-connections N] [--max-connections-per-ip N]`
 * Runs the signaling server until SIGINT/SIGTERM, then shuts down gracefully.
 */
import { parseArgs } from 'node:util';
import { createSignalingServer } from './signaling-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    host: { type: 'string', default: '0.0.0.0' },
    'max-peers': { type: 'string' },
    rate: { type: 'string' },
    'max-frame': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-connections-per-ip': { type: 'string' },
    tokens: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const limits = {
  ...(int('max-peers', values['max-peers']) !== undefined ? { maxPeersPerRoom: int('max-peers', values['max-peers'])! } : {}),
  ...(int('rate', values.rate) !== undefined ? { messagesPerSecond: int('rate', values.rate)! } : {}),
  ...(int('max-frame', values['max-frame']) !== undefined ? { maxFrameBytes: int('max-frame', values['max-frame'])! } : {}),
  ...connectionLimit('max-connections', 'maxConnections'),
  ...connectionLimit('max-connections-per-ip', 'maxConnectionsPerIp'),
};

/** A connection limit flag; 0 would refuse everyone, so it is rejected here with the flag's name. */
function connectionLimit(flag: 'max-connections' | 'max-connections-per-ip', key: 'maxConnections' | 'maxConnectionsPerIp'): Partial<Record<typeof key, number>> {
  const n = int(flag, values[flag]);
  if (n === undefined) return {};
  if (n < 1) {
    console.error(`--${flag} must be at least 1, got "${values[flag]}"`);
    process.exit(2);
  }
  return { [key]: n };
}

const server = await createSignalingServer({
  port: int('port', values.port)!,
  host: values.host,
  limits,
  ...(values.tokens ? { tokens: values.tokens.split(',') } : {}),
  log: values.quiet ? () => {} : (line) => console.log(line),
});
console.log(`meshraft signaling server listening on port ${server.port} (ws path /signal, GET /healthz, GET /stats)`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
