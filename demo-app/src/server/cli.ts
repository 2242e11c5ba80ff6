/**
 * @module cli
 * `pnpm demo [--port N] [--peer]`: builds the page if needed, serves it and the signaling server
 * on one port, prints the URL; with --peer also runs `meshraft peer` (a durable Node member with
 * file storage) in the room. Exit codes: 0 after SIGINT/SIGTERM, 1 on a startup error, 2 on bad
 * flags. The line `demo: listening on URL` is what scripts (the e2e suite) wait for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RoomRecordsError } from '@meshraft/signaling-server';
import { appRoot, distDir, ensureBuilt } from './build-app.js';
import { DEMO_USAGE, DemoUsageError, parseDemoArgs, type DemoArgs } from './demo-args.js';
import { startDemoServer } from './demo-server.js';

const repoRoot = join(appRoot, '..');
const clusterOf = (room: string): string => `board.${room}`; // as the page's params.clusterName

interface PeerChild {
  readonly child: ChildProcess;
  /** Resolves once the peer logged that it started; rejects if it exits first. */
  readonly started: Promise<void>;
}

function startPeer(args: DemoArgs, room: string, signalingUrl: string): PeerChild {
  const data = args.peerData ?? join(appRoot, '.data', room);
  mkdirSync(data, { recursive: true });
  const tsx = createRequire(join(repoRoot, 'package.json')).resolve('tsx');
  const child = spawn(
    process.execPath,
    [
      '--import', tsx, '--conditions=source', join(repoRoot, 'packages/etcd/src/cli.ts'),
      'peer', '--cluster', clusterOf(room), '--signaling', signalingUrl, '--data', data,
      '--tick-ms', String(args.peerTick),
      ...args.iceServers.flatMap((spec) => ['--ice-server', spec]),
      ...(args.iceRelay ? ['--ice-transport-policy', 'relay'] : []),
      // Founding is explicit (--bootstrap; ignored once its data dir holds state): else it joins.
      ...(args.bootstrap ? ['--bootstrap'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const started = new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      process.stdout.write(d);
      buffered += d.toString();
      if (/peer \S+ started/.test(buffered)) resolve();
    });
    child.once('exit', (code, signal) => {
      console.log(`demo: the Node peer exited (${signal ?? `code ${code}`})`);
      reject(new Error('the Node peer exited before it started'));
    });
  });
  return { child, started };
}

/** Resolves once `n` peers are in rooms on the signaling server (or after `timeoutMs`). */
async function waitForPeers(stats: () => { peers: number }, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (stats().peers < n) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function main(): Promise<void> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof DemoUsageError) {
      console.error(`demo: ${err.message}\n${DEMO_USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  if (args.help) {
    console.log(DEMO_USAGE);
    return;
  }
  await ensureBuilt({ force: args.rebuild, log: (l) => console.log(`demo: ${l}`) });
  if (args.buildOnly) return;
  const server = await startDemoServer({
    port: args.port,
    host: args.host,
    root: distDir,
    pageConfig: { ice: args.iceServers, iceRelay: args.iceRelay },
    ...(args.data !== null ? { data: args.data } : {}),
  }).catch((err: unknown) => {
    // An unreadable records file is bad input, as for `pnpm signaling --data`.
    if (err instanceof RoomRecordsError) {
      console.error(`demo: --data: ${err.message}`);
      process.exit(2);
    }
    throw err;
  });
  const room = args.room ?? (args.peer ? 'demo' : null);
  const url = room ? `${server.url}?room=${room}` : server.url;
  let peer: ChildProcess | null = null;
  if (args.peer && room) {
    const p = startPeer(args, room, server.signalingUrl);
    peer = p.child;
    // The URL is printed only once the peer is in the room: a tab opened earlier would find the
    // room empty and found a second cluster beside the peer's.
    try {
      await p.started;
      if (!(await waitForPeers(() => server.signaling.stats(), 1, 30_000))) throw new Error('the Node peer did not join the room');
    } catch (err) {
      p.child.kill('SIGTERM');
      await server.close();
      throw err;
    }
  }
  console.log(`demo: listening on ${url}`);
  console.log(`demo: open it in several tabs or browsers; signaling on ${server.signalingUrl}${peer ? `; Node peer in room ${room}` : ''}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`demo: ${signal}, stopping`);
    setTimeout(() => process.exit(1), 10_000).unref();
    const peerExit = peer && peer.exitCode === null ? new Promise<void>((r) => peer!.once('exit', () => r())) : Promise.resolve();
    peer?.kill('SIGTERM');
    void Promise.all([peerExit, server.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
