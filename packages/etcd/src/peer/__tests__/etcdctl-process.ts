/**
 * Test helper: etcdctl 3.4 commands that keep running (`lock`, `elect`, `elect --listen`) as
 * child processes: their stdout so far, a wait for a number of lines, and a signal to stop them.
 */
import { spawn } from 'node:child_process';

export interface EtcdctlProcess {
  /** stdout so far. */
  out(): string;
  /** Resolves with the first `n` lines once printed; rejects on exit or after `timeoutMs`. */
  lines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Sends `signal` (default SIGINT, which etcdctl answers by unlocking or resigning) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  readonly exited: Promise<number | string>;
}

const running = new Set<EtcdctlProcess>();

export function etcdctlProcess(endpoint: string, args: readonly string[]): EtcdctlProcess {
  const child = spawn('etcdctl', ['--endpoints', endpoint, '--dial-timeout=5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const wake = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    wake.forEach((w) => w());
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(proc);
      wake.forEach((w) => w());
      resolve(code ?? signal ?? -1);
    }),
  );
  const complete = () => out.split('\n').slice(0, -1);
  const proc: EtcdctlProcess = {
    out: () => out,
    exited,
    lines(n, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(() => reject(new Error(`etcdctl ${args.join(' ')} printed only:\n${out}\nstderr:\n${err}`))), timeoutMs);
        const check = () => {
          if (complete().length >= n) done(() => resolve(complete().slice(0, n)));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`etcdctl ${args.join(' ')} exited after:\n${out}\nstderr:\n${err}`)));
        };
        const done = (fn: () => void) => {
          clearTimeout(timer);
          wake.delete(check);
          fn();
        };
        wake.add(check);
        check();
      });
    },
    stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(proc);
  return proc;
}

/** SIGKILLs whatever a test left running. */
export async function stopAllEtcdctl(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
}
