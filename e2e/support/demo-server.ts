/**
 * Starts the demo exactly as `pnpm demo` does (demo-app/src/server/cli.ts under tsx with the
 * `source` condition: the Playwright runner cannot load workspace sources itself) on a free port,
 * and stops it. The first start builds the page if the build is stale.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsx = createRequire(new URL('../../package.json', import.meta.url)).resolve('tsx');

export interface DemoProcess {
  /** `http://127.0.0.1:PORT/` (or with ?room= when one was given). */
  readonly url: string;
  readonly origin: string;
  readonly signalingUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  close(): Promise<void>;
}

export async function startDemo(args: readonly string[] = []): Promise<DemoProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=source', `${repo}demo-app/src/server/cli.ts`, '--port', '0', ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start in time:\n${out}`)), 120_000);
    const check = (): void => {
      const m = /demo: listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${out}`));
    });
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    signalingUrl: `${origin.replace(/^http/, 'ws')}/signal`,
    output: () => out,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
