#!/usr/bin/env node
/**
 * @module cli
 * The `meshraft` command: `meshraft peer ...` runs a durable member, `meshraft signaling ...` the
 * signaling server. Exit codes: 0 after SIGINT/SIGTERM, 1 on a startup or fatal error, 2 on bad
 * flags (with the usage text).
 */
import { createSignalingServer } from '@meshraft/signaling-server';
import { parseCommand, USAGE, type PeerConfig, type SignalingConfig } from './peer/peer-args.js';
import { createPeerLog } from './peer/peer-log.js';
import { startPeer } from './peer/start-peer.js';

/** A stop that hangs (a stuck socket) must not keep the process alive forever. */
const STOP_GRACE_MS = 10_000;

/**
 * Installs SIGINT/SIGTERM handlers at once (a signal during start-up must not kill the process
 * with the data directory half-open); `stop` runs once the component is up.
 */
function onTermination(): { running(stop: () => Promise<void>): void } {
  let stop: (() => Promise<void>) | undefined;
  let signalled: string | undefined;
  const shutdown = () => {
    console.log(`${new Date().toISOString()} info ${signalled}: stopping`);
    setTimeout(() => {
      console.error('meshraft: stop did not finish in time; exiting');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
    stop!().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`meshraft: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  const handler = (signal: string) => {
    if (signalled) return;
    signalled = signal;
    if (stop) shutdown();
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
  return {
    running(fn) {
      stop = fn;
      if (signalled) shutdown();
    },
  };
}

async function runPeer(config: PeerConfig): Promise<void> {
  const termination = onTermination();
  const log = createPeerLog((line) => console.log(line), { quiet: config.quiet });
  const peer = await startPeer(config, log);
  peer.node.on('error', () => {
    void peer.stop().finally(() => process.exit(1));
  });
  termination.running(() => peer.stop());
}

async function runSignaling(config: SignalingConfig): Promise<void> {
  const termination = onTermination();
  const { messagesPerSecond, maxPeersPerRoom } = config;
  const server = await createSignalingServer({
    port: config.port,
    host: config.host,
    limits: {
      ...(messagesPerSecond !== undefined && { messagesPerSecond }),
      ...(maxPeersPerRoom !== undefined && { maxPeersPerRoom }),
    },
    log: (line) => console.log(line),
  });
  console.log(`meshraft signaling server listening on port ${server.port} (ws path /signal)`);
  termination.running(() => server.close());
}

async function main(argv: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    console.error(`meshraft: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  try {
    if (command.command === 'help') console.log(USAGE);
    else if (command.command === 'peer') await runPeer(command.config);
    else await runSignaling(command.config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    console.error(`meshraft: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
