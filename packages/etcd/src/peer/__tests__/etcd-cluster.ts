/**
 * Test helper: a real three-member etcd (Debian's etcd-server, /usr/bin/etcd) on free loopback
 * ports with temporary data directories, as the reference that meshraft's output is compared with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

export interface EtcdCluster {
  /** Client URLs, one per member, in member order (e1, e2, e3). */
  readonly urls: readonly string[];
  /** SIGKILLs every member and waits for the exits. */
  kill(): Promise<void>;
}

/** Starts members e1..eN; `dataDir` must be an empty temporary directory. Not yet healthy on return. */
export async function startEtcdCluster(dataDir: string, size = 3): Promise<EtcdCluster> {
  const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
  const ports = await Promise.all(names.map(async () => [await freePort(), await freePort()] as const));
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]![1]}`).join(',');
  const children: ChildProcess[] = names.map((name, i) => {
    const [client, peer] = ports[i]!;
    return spawn('etcd', [
      '--name', name, '--data-dir', join(dataDir, name),
      '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', initial, '--initial-cluster-token', 'meshraft-reference', '--initial-cluster-state', 'new',
      '--log-level', 'error',
    ], { stdio: 'ignore' });
  });
  const exits = children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))));
  return {
    urls: ports.map(([client]) => `http://127.0.0.1:${client}`),
    async kill() {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(exits);
    },
  };
}
