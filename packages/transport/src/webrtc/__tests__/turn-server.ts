/**
 * A real TURN server for tests: Debian's coturn (`turnserver`), on this host's first non-loopback
 * IPv4 address (inside the test network namespace, the veth address), UDP only, no TLS, with one
 * static long-term-credential user. Stopped with SIGTERM (SIGKILL after a bound) on `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TurnServer {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** `turn:HOST:PORT?transport=udp` */
  readonly url: string;
  stop(): Promise<void>;
}

/** The address ICE can use: libwebrtc gathers nothing on loopback alone. */
function nonLoopbackIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 interface: run WebRTC tests inside the network namespace wrapper (see the README)');
}

async function freeUdpPort(host: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function startTurnServer(timeoutMs = 20_000): Promise<TurnServer> {
  if (spawnSync('turnserver', ['--version'], { stdio: 'ignore' }).error) {
    throw new Error('turnserver not found: install Debian\'s coturn package (apt-get install coturn); CI installs it in .ci/run');
  }
  const host = nonLoopbackIPv4();
  const port = await freeUdpPort(host);
  const dir = mkdtempSync(join(tmpdir(), 'meshraft-turn-'));
  const username = 'meshraft';
  const password = 'turn-test-secret';
  // Relay ports from a range unlikely to collide with the test's own ephemeral ports.
  const relayBase = 40_000 + (port % 20) * 500;
  const child: ChildProcess = spawn('turnserver', [
    '-n', '--no-tls', '--no-dtls', '--no-cli', '--no-rfc5780', '--no-stun-backward-compatibility',
    '-L', host, '-E', host, '-p', String(port),
    '--min-port', String(relayBase), '--max-port', String(relayBase + 499),
    '-a', '-u', `${username}:${password}`, '-r', 'meshraft',
    '-b', join(dir, 'turndb'), '--pidfile', join(dir, 'turnserver.pid'),
    '--log-file', 'stdout', '--simple-log',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once its relay threads (which own the UDP listeners) are up.
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Total General servers')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`turnserver did not start on ${host}:${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, port, username, password, url: `turn:${host}:${port}?transport=udp`, stop };
}
