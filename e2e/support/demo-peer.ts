/**
 * A durable Node member for the demo's rooms: `meshraft peer` (packages/etcd/src/cli.ts, the
 * command `pnpm meshraft peer` runs) with file storage in a temporary directory, as a child
 * process. Resolves once the peer logged that it started; exposes its id and output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsx = createRequire(new URL('../../package.json', import.meta.url)).resolve('tsx');

export interface NodePeerProcess {
  readonly id: string;
  readonly dataDir: string;
  output(): string;
  close(): Promise<void>;
}

export async function startNodePeer(options: { cluster: string; signalingUrl: string; tickMs: number; bootstrap?: boolean }): Promise<NodePeerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshraft-demo-peer-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import', tsx, '--conditions=source', `${repo}packages/etcd/src/cli.ts`, 'peer',
      '--cluster', options.cluster, '--signaling', options.signalingUrl, '--data', dataDir,
      '--tick-ms', String(options.tickMs), '--no-fsync', ...(options.bootstrap ? ['--bootstrap'] : []),
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshraft peer did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      const m = /peer (\S+) started/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`meshraft peer exited with ${code}:\n${out}`));
    });
  });
  return {
    id,
    dataDir,
    output: () => out,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
