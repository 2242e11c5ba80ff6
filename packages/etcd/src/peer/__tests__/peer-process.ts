/**
 * Test helper: `meshraft peer` and `meshraft signaling` as real child processes (Node running
 * the TypeScript source through tsx, or Deno), with their output lines, exit status, and the
 * etcd gateway's URL once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../cli.ts', import.meta.url));
/** The Deno binary itself: the `.bin/deno` shell shim would take our signals and orphan Deno. */
export const denoPath = join(realpathSync(join(repoRoot, 'node_modules/deno')), 'deno');

export type Runtime = 'node' | 'deno';

export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr lines so far. */
  readonly lines: string[];
  /** Resolves with the first line (already printed or later) matching `re`; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

const all = new Set<CliProcess>();

/** `pnpm signaling`'s script (the signaling server package's own CLI). */
export const signalingCliPath = join(repoRoot, 'signaling-server/src/cli.ts');

/** Runs `meshraft ARGS` (or, with `script`, another TypeScript CLI of the repository under Node). */
export function runCli(args: readonly string[], runtime: Runtime = 'node', script = cliPath): CliProcess {
  const child =
    runtime === 'node'
      ? spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(denoPath, ['run', '-A', '--quiet', '--conditions=source', '--sloppy-imports', script, ...args], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (stream: NodeJS.ReadableStream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      if (process.env.PEER_TEST_VERBOSE) for (const l of parts) console.log(`[${child.pid}] ${l}`);
      waiters.forEach((w) => w());
    });
  };
  onData(child.stdout!);
  onData(child.stderr!);
  let gone = false;
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      gone = true;
      all.delete(proc);
      waiters.forEach((w) => w());
      resolve(code ?? signal ?? -1);
    }),
  );
  const proc: CliProcess = {
    child,
    lines,
    exited,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) finish(() => resolve(hit));
          else if (gone) finish(() => reject(new Error(`process exited before printing ${re}:\n${lines.join('\n')}`)));
        };
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${re}:\n${lines.join('\n')}`))), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    kill(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
  all.add(proc);
  return proc;
}

/** Kills whatever a test left running (afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all([...all].map((p) => p.kill('SIGKILL')));
}

/** A signaling server process on a free loopback port. */
export async function startSignaling(): Promise<{ proc: CliProcess; url: string }> {
  const proc = runCli(['signaling', '--port', '0', '--host', '127.0.0.1', '--rate', '100000']);
  const line = await proc.waitFor(/listening on port \d+/);
  const port = /port (\d+)/.exec(line)![1];
  return { proc, url: `ws://127.0.0.1:${port}` };
}

export interface PeerProcess extends CliProcess {
  /** The etcd gateway's URL (with --http). */
  readonly url: string;
}

/**
 * Starts a peer with `--http 127.0.0.1:0` (unless `--listen-client-urls` is among `args`) and
 * waits until its gateway listens. Relay-only unless
 * `webrtc` is set (WebRTC needs scripts/netns-run: ICE finds no candidate on loopback alone).
 */
export async function startPeer(args: readonly string[], runtime: Runtime = 'node', webrtc = false): Promise<PeerProcess> {
  const listen = args.includes('--listen-client-urls') ? [] : ['--http', '127.0.0.1:0'];
  const proc = runCli(['peer', ...(webrtc ? [] : ['--relay-only']), ...listen, ...args], runtime);
  const line = await proc.waitFor(/etcd gateway listening on /);
  return { ...proc, url: /(https?:\/\/[^\s)]+)/.exec(line)![1]! };
}

/** Temporary data directories, removed by the returned cleanup. */
export function tempDirs(): { make(): Promise<string>; cleanup(): Promise<void> } {
  const dirs: string[] = [];
  return {
    async make() {
      const d = await mkdtemp(join(tmpdir(), 'meshraft-peer-'));
      dirs.push(d);
      return d;
    },
    async cleanup() {
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: unknown): string => Buffer.from(String(s), 'base64').toString('utf8');

/** POST a JSON body to the gateway; status and parsed JSON. */
export async function post(
  url: string,
  path: string,
  body: unknown = {},
  signal?: AbortSignal,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), ...(signal && { signal }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls `probe` (errors count as "not yet") until it returns a value; rejects after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until `founder`'s member list shows `peers.size` voters (joiners promoted), then returns
 * a lookup of the current leader's name among `peers` (by the gateway's member ids; a restarted
 * peer keeps its id, so the map may get new processes under the same names).
 */
export async function clusterOf(peers: ReadonlyMap<string, PeerProcess>, founder: string, timeoutMs = 30_000): Promise<() => Promise<string>> {
  await eventually(`${peers.size} voters`, async () => {
    const list = await post(peers.get(founder)!.url, '/v3/cluster/member/list');
    const members = list.json.members as { isLearner?: boolean }[] | undefined;
    return members?.length === peers.size && members.every((m) => !m.isLearner) ? true : undefined;
  }, timeoutMs);
  const memberIds = new Map<string, string>();
  for (const [name, p] of peers) {
    const s = await post(p.url, '/v3/maintenance/status');
    memberIds.set((s.json.header as { member_id: string }).member_id, name);
  }
  return () =>
    eventually('a leader', async () => {
      for (const p of peers.values()) {
        const s = await post(p.url, '/v3/maintenance/status', {}, AbortSignal.timeout(1000));
        const l = memberIds.get(String(s.json.leader));
        if (l) return l;
      }
      return undefined;
    }, timeoutMs);
}
