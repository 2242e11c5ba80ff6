/**
 * @module procs/child
 * Child processes for benchmarks: output captured line by line, a wait for a line, a stop that
 * always ends the process (SIGTERM, then SIGKILL), and the CPU time the kernel charged it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Proc {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first output line matching `re`. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnProc(cmd: string, args: readonly string[], options: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  const waits = new Set<() => void>();
  for (const s of [child.stdout, child.stderr]) {
    s?.setEncoding('utf8');
    s?.on('data', (c: string) => {
      out += c;
      waits.forEach((w) => w());
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => waits.forEach((w) => w()));
  return {
    child,
    output: () => out,
    line: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const done = (f: () => void) => {
          clearTimeout(timer);
          waits.delete(check);
          f();
        };
        const check = () => {
          const hit = out.split('\n').find((l) => re.test(l));
          if (hit !== undefined) done(() => resolve(hit));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`${cmd} exited before printing ${re}:\n${out}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${re} within ${timeoutMs} ms in:\n${out}`))), timeoutMs);
        waits.add(check);
        check();
      }),
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** User + system CPU seconds the kernel charged process `pid` so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Processes and temporary directories started together, stopped and removed together. */
export interface ProcGroup {
  add(p: Proc): Proc;
  tempDir(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export function procGroup(): ProcGroup {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  return {
    add(p) {
      procs.push(p);
      return p;
    },
    async tempDir(prefix) {
      const d = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
