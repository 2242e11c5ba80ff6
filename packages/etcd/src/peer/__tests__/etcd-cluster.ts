/**
 * Test helper: a real etcd (Debian's etcd-server, /usr/bin/etcd) of one or three members on
 * loopback ports with temporary data directories, as the reference that meshraft's output is
 * compared with. Healthy on return: every member answers /health and member list shows every
 * member with its client URL (a member that never started is listed without one, so
 * `endpoint health --cluster` alone passes with a dead member).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A port that was free a moment ago, chosen by the kernel (inside the ephemeral range). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** The kernel's ephemeral range: outgoing connections take their local ports from it. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const tried = new Set<number>();

/**
 * A free loopback port below the ephemeral range, picked at random: the kernel never gives such a
 * port to an outgoing connection or to another `listen(0)` in the gap before etcd binds it, and
 * random picks make two test files (vitest workers) choosing the same port unlikely; the caller
 * still retries with fresh ports if etcd finds one taken.
 */
async function reservedPort(): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(1024, high - 12_000);
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (tried.has(port)) continue;
    tried.add(port);
    const s = createServer();
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.listen(port, '127.0.0.1', () => r(true));
    });
    if (ok) {
      await new Promise((r) => s.close(r));
      return port;
    }
  }
}

export interface EtcdCluster {
  /** Client URLs, one per member, in member order (e1, e2, e3). */
  readonly urls: readonly string[];
  /** SIGKILLs every member and waits for the exits. */
  kill(): Promise<void>;
}

/** Why a start failed: which member exited (with its stderr) or which were not healthy in time. */
export class EtcdStartError extends Error {
  readonly code: 'EXITED' | 'ADDRESS_IN_USE' | 'NOT_HEALTHY';
  constructor(code: EtcdStartError['code'], message: string) {
    super(message);
    this.name = 'EtcdStartError';
    this.code = code;
  }
}

/**
 * Starts members e1..eN in `dataDir` (an empty temporary directory) and waits until all are
 * healthy. A member that finds its port taken makes the whole start repeat with fresh ports and
 * a fresh data directory, up to `attempts` times.
 */
export async function startEtcdCluster(dataDir: string, size = 3, attempts = 3, healthyWithinMs = 60_000): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(join(dataDir, `start-${attempt}`), size, healthyWithinMs);
    } catch (e) {
      if (!(e instanceof EtcdStartError && e.code === 'ADDRESS_IN_USE') || attempt >= attempts) throw e;
    }
  }
}

interface Member {
  readonly name: string;
  readonly client: number;
  readonly peer: number;
  readonly child: ChildProcess;
  stderr: string;
  readonly exited: Promise<number | string>;
}

async function startOnce(dataDir: string, size: number, healthyWithinMs: number): Promise<EtcdCluster> {
  const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
  const ports: [number, number][] = [];
  for (const _ of names) ports.push([await reservedPort(), await reservedPort()]);
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]![1]}`).join(',');
  const members: Member[] = names.map((name, i) => {
    const [client, peer] = ports[i]!;
    const child = spawn('etcd', [
      '--name', name, '--data-dir', join(dataDir, name),
      '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', initial, '--initial-cluster-token', 'meshraft-reference', '--initial-cluster-state', 'new',
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const m: Member = {
      name, client, peer, child, stderr: '',
      exited: new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal ?? -1))),
    };
    // Keep the tail only: enough to show why a member died.
    child.stderr!.on('data', (d: Buffer) => (m.stderr = (m.stderr + d.toString()).slice(-8192)));
    return m;
  });
  const urls = ports.map(([client]) => `http://127.0.0.1:${client}`);
  const kill = async () => {
    for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
  };
  const exit = firstExit(members);
  exit.catch(() => {}); // after a healthy start, the exits at kill() are no failure
  const stop = { stopped: false };
  try {
    await Promise.race([healthy(urls, healthyWithinMs, members, stop), exit]);
  } catch (e) {
    stop.stopped = true;
    await kill();
    throw e;
  }
  return { urls, kill };
}

/** Rejects when any member exits, naming it and showing its stderr. */
async function firstExit(members: readonly Member[]): Promise<never> {
  const m = await Promise.race(members.map((m) => m.exited.then(() => m)));
  const status = await m.exited;
  const taken = /address already in use/.test(m.stderr);
  throw new EtcdStartError(
    taken ? 'ADDRESS_IN_USE' : 'EXITED',
    `etcd member ${m.name} (client port ${m.client}, peer port ${m.peer}) exited (${status}) during start:\n${m.stderr}`,
  );
}

async function isHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/** Every client URL listed by member list: each member has started and published itself. */
async function allPublished(url: string, size: number): Promise<boolean> {
  const res = await fetch(`${url}/v3/cluster/member/list`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
  const members = ((await res.json()) as { members?: { clientURLs?: string[] }[] }).members ?? [];
  return members.length === size && members.every((m) => (m.clientURLs ?? []).length > 0);
}

/** Resolves once every member is healthy and published; rejects after `withinMs` naming the rest. */
async function healthy(urls: readonly string[], withinMs: number, members: readonly Member[], stop: { stopped: boolean }): Promise<void> {
  const deadline = Date.now() + withinMs;
  const ok = new Set<string>();
  while (!stop.stopped) {
    for (const u of urls) if (!ok.has(u) && (await isHealthy(u).catch(() => false))) ok.add(u);
    if (ok.size === urls.length && (await allPublished(urls[0]!, urls.length).catch(() => false))) return;
    if (Date.now() > deadline) {
      const bad = members.filter((_, i) => !ok.has(urls[i]!));
      throw new EtcdStartError('NOT_HEALTHY', `etcd not healthy within ${withinMs} ms; unhealthy: ${bad.map((m) => `${m.name} (${urls[members.indexOf(m)]}):\n${m.stderr}`).join('\n') || 'none (member list incomplete)'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
