/**
 * @module etcd-cluster
 * A real etcd (the `etcd` binary, Debian's etcd-server) of one or more members on loopback ports
 * with data under a given directory: the reference that meshraft's tests and benchmarks compare
 * with. Healthy on return: every member answers /health and member list shows every member with
 * its client URL (a member that never started is listed without one, so `endpoint health
 * --cluster` alone passes with a dead member). A member that finds a port taken (another process
 * bound it between the choice and etcd's bind) makes the whole start repeat on fresh ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { reservedPort } from './ports.js';

export interface EtcdClusterOptions {
  /** An empty directory; attempt N keeps its members' data in `start-N/<name>` under it. */
  readonly dataDir: string;
  /** Members e1..eN (default 3). */
  readonly size?: number;
  /** Whole-cluster starts tried when a port turns out taken (default 3). */
  readonly attempts?: number;
  /** How long the members have to become healthy, per attempt (default 60 s). */
  readonly healthyWithinMs?: number;
  /** Flags added to every member's (e.g. `--log-level error`); etcd's defaults otherwise. */
  readonly extraArgs?: readonly string[];
  /** --initial-cluster-token (default `meshraft-reference`). */
  readonly token?: string;
  /** Chooses each port (default: `reservedPort`); tests replace it to hand out a taken one. */
  readonly pickPort?: () => Promise<number>;
}

export interface EtcdCluster {
  /** Client URLs (`http://127.0.0.1:PORT`, no trailing slash), one per member, in member order. */
  readonly urls: readonly string[];
  /** Each member's process id, in member order. */
  readonly pids: readonly number[];
  /** SIGKILLs every member and waits for the exits. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL for a member still running after `graceMs` (default 5 s); waits for the exits. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Why a start failed. Codes: `EXITED` a member exited during start (not for a taken port; its
 * stderr in the message), `ADDRESS_IN_USE` a port was taken at every one of `attempts` starts,
 * `NOT_HEALTHY` members not healthy and listed in time.
 */
export class EtcdStartError extends Error {
  readonly code: 'EXITED' | 'ADDRESS_IN_USE' | 'NOT_HEALTHY';
  /** Which start (1-based) failed so. */
  readonly attempt: number;
  constructor(code: EtcdStartError['code'], message: string, attempt: number) {
    super(message);
    this.name = 'EtcdStartError';
    this.code = code;
    this.attempt = attempt;
  }
}

/** Starts the members and waits until all are healthy, repeating on fresh ports if a port was taken. */
export async function startEtcdCluster(o: EtcdClusterOptions): Promise<EtcdCluster> {
  const attempts = o.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o, attempt);
    } catch (e) {
      if (!(e instanceof EtcdStartError && e.code === 'ADDRESS_IN_USE')) throw e;
      if (attempt >= attempts) {
        throw new EtcdStartError('ADDRESS_IN_USE', `etcd did not start in ${attempts} attempts: a port was taken each time; the last:\n${e.message}`, attempt);
      }
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

const running = (m: Member) => m.child.exitCode === null && m.child.signalCode === null;

async function startOnce(o: EtcdClusterOptions, attempt: number): Promise<EtcdCluster> {
  const pick = o.pickPort ?? reservedPort;
  const dataDir = join(o.dataDir, `start-${attempt}`);
  const names = Array.from({ length: o.size ?? 3 }, (_, i) => `e${i + 1}`);
  const ports: [number, number][] = [];
  for (const _ of names) ports.push([await pick(), await pick()]);
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]![1]}`).join(',');
  const members: Member[] = names.map((name, i) => {
    const [client, peer] = ports[i]!;
    const child = spawn('etcd', [
      '--name', name, '--data-dir', join(dataDir, name),
      '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', initial, '--initial-cluster-token', o.token ?? 'meshraft-reference', '--initial-cluster-state', 'new',
      ...(o.extraArgs ?? []),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const m: Member = {
      name, client, peer, child, stderr: '',
      exited: new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal ?? -1))),
    };
    // Read all of it (a full pipe would stall etcd), keep the tail: enough to show why a member died.
    child.stderr!.on('data', (d: Buffer) => (m.stderr = (m.stderr + d.toString()).slice(-8192)));
    return m;
  });
  const urls = ports.map(([client]) => `http://127.0.0.1:${client}`);
  const kill = async () => {
    for (const m of members) if (running(m)) m.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
  };
  const stop = async (graceMs = 5000) => {
    for (const m of members) if (running(m)) m.child.kill('SIGTERM');
    const timer = setTimeout(() => void kill(), graceMs);
    await Promise.all(members.map((m) => m.exited));
    clearTimeout(timer);
  };
  const exit = firstExit(members, attempt);
  exit.catch(() => {}); // after a healthy start, the exits at kill() or stop() are no failure
  const done = { stopped: false };
  try {
    await Promise.race([healthy(urls, o.healthyWithinMs ?? 60_000, members, done, attempt), exit]);
  } catch (e) {
    done.stopped = true;
    await kill();
    throw e;
  }
  return { urls, pids: members.map((m) => m.child.pid!), kill, stop };
}

/** Rejects when any member exits, naming it and showing its stderr. */
async function firstExit(members: readonly Member[], attempt: number): Promise<never> {
  const m = await Promise.race(members.map((m) => m.exited.then(() => m)));
  const status = await m.exited;
  const taken = /address already in use/.test(m.stderr);
  throw new EtcdStartError(
    taken ? 'ADDRESS_IN_USE' : 'EXITED',
    `etcd member ${m.name} (client port ${m.client}, peer port ${m.peer}) exited (${status}) during start:\n${m.stderr}`,
    attempt,
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
async function healthy(urls: readonly string[], withinMs: number, members: readonly Member[], done: { stopped: boolean }, attempt: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  const ok = new Set<string>();
  while (!done.stopped) {
    for (const u of urls) if (!ok.has(u) && (await isHealthy(u).catch(() => false))) ok.add(u);
    if (ok.size === urls.length && (await allPublished(urls[0]!, urls.length).catch(() => false))) return;
    if (Date.now() > deadline) {
      const bad = members.filter((_, i) => !ok.has(urls[i]!));
      const named = bad.map((m) => `${m.name} (${urls[members.indexOf(m)]}):\n${m.stderr}`).join('\n');
      throw new EtcdStartError('NOT_HEALTHY', `etcd not healthy within ${withinMs} ms; unhealthy: ${named || 'none (member list incomplete)'}`, attempt);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
