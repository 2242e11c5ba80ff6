#!/usr/bin/env node
/**
 * @module cli
 * The `meshraft` command: `meshraft peer ...` runs a durable member, `meshraft signaling ...` the
 * signaling server. Exit codes (docs/peer.md): 0 after SIGINT/SIGTERM or --help, 1 on a start-up
 * or fatal error, 2 on bad input (flags, an unusable --data directory, a listen address in use).
 */
import { createSignalingServer, RoomRecordsError } from '@meshraft/signaling-server';
import { DataDirUnusableError } from '@meshraft/storage/file';
import { parseCommand, type PeerConfig, type SignalingConfig } from './peer/peer-args.js';
import { ClusterExistsError, ListenError, UsageError } from './peer/peer-errors.js';
import { usage } from './peer/peer-flags.js';
import { createPeerLog } from './peer/peer-log.js';
import { startPeer } from './peer/start-peer.js';

/** After a signal, the process is gone within this bound whatever state it is in. */
const STOP_GRACE_MS = 5_000;

const EXIT_BAD_INPUT = 2;
const EXIT_FAILED = 1;

/** Bad input the user fixes by changing a flag: exit 2. Everything else that fails: exit 1. */
function exitCodeOf(err: unknown): number {
  return err instanceof UsageError || err instanceof ListenError || err instanceof DataDirUnusableError || err instanceof ClusterExistsError ? EXIT_BAD_INPUT : EXIT_FAILED;
}

/**
 * The exit of last resort. process.exit() waits for libuv's thread pool, so a thread stuck in
 * the kernel (opening a FIFO nobody writes, a hung network file system) would hang it too;
 * SIGKILL does not wait. stderr is synchronous for files, TTYs and pipes, so the line is out first.
 */
function hardExit(reason: string): never {
  console.error(`meshraft: ${reason}; killing the process (SIGKILL)`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL was sent');
}

/**
 * Installs SIGINT/SIGTERM handlers at once. The first signal starts a hard-exit timer and a
 * graceful stop (at once when running, or as soon as a start in progress finishes: a start that
 * hangs is cut off by the timer); a second signal ends it at once.
 */
function onTermination(): { running(stop: () => Promise<void>): void } {
  let stop: (() => Promise<void>) | undefined;
  let signalled: string | undefined;
  const shutdown = () => {
    stop!().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`meshraft: error while stopping: ${(err as Error).message}`);
        process.exit(EXIT_FAILED);
      },
    );
  };
  const handler = (signal: string) => {
    if (signalled) hardExit(`second ${signal}`);
    signalled = signal;
    console.log(`${new Date().toISOString()} info ${signal}: stopping${stop ? '' : ' (after start-up)'}`);
    setTimeout(() => hardExit(`stop did not finish within ${STOP_GRACE_MS / 1000} s`), STOP_GRACE_MS);
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
  log.info(`starting: cluster ${config.cluster}, data ${config.data}`);
  const peer = await startPeer(config, log);
  peer.node.on('error', () => {
    void peer.stop().finally(() => process.exit(EXIT_FAILED));
  });
  termination.running(() => peer.stop());
}

async function runSignaling(config: SignalingConfig): Promise<void> {
  const termination = onTermination();
  const { messagesPerSecond, maxPeersPerRoom, maxConnections, maxConnectionsPerIp } = config;
  const server = await createSignalingServer({
    port: config.port,
    host: config.host,
    limits: {
      ...(messagesPerSecond !== undefined && { messagesPerSecond }),
      ...(maxPeersPerRoom !== undefined && { maxPeersPerRoom }),
      ...(maxConnections !== undefined && { maxConnections }),
      ...(maxConnectionsPerIp !== undefined && { maxConnectionsPerIp }),
    },
    ...(config.data !== undefined && { data: config.data }),
    log: (line) => console.log(line),
  }).catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof RoomRecordsError) throw new UsageError(`--data: ${err.message}`);
    if (e.syscall === 'listen' || e.code === 'ENOTFOUND') throw new ListenError('--port or --host', `${config.host}:${config.port}`, err);
    throw err;
  });
  console.log(`meshraft signaling server listening on port ${server.port} (ws path /signal)`);
  termination.running(() => server.close());
}

async function main(argv: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    const topic = argv[0] === 'peer' || argv[0] === 'signaling' ? argv[0] : 'all';
    console.error(`meshraft: ${(err as Error).message}\n\n${usage(topic)}`);
    process.exit(EXIT_BAD_INPUT);
  }
  try {
    if (command.command === 'help') console.log(usage(command.topic));
    else if (command.command === 'peer') await runPeer(command.config);
    else await runSignaling(command.config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    console.error(`meshraft: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`);
    process.exit(exitCodeOf(err));
  }
}

await main(process.argv.slice(2));
