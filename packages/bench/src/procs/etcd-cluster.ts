/**
 * @module procs/etcd-cluster
 * A three-member etcd cluster (the `etcd` binary: Debian's etcd-server) on loopback with its
 * defaults, data in temporary directories: the real alternative benchmarks compare against.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { procGroup, spawnProc, waitUntil, type Proc } from './child.js';
import { findLeader } from './http.js';
import type { RunningCluster } from './meshraft-cluster.js';

/** The etcd binary's version line, or undefined when it is not installed. */
export function etcdVersion(): string | undefined {
  try {
    return /etcd Version: (\S+)/.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startEtcdCluster(): Promise<RunningCluster> {
  const group = procGroup();
  const stop = group.stop;
  try {
    const members = [];
    for (const name of ['e1', 'e2', 'e3']) members.push({ name, client: await freePort(), peer: await freePort() });
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
    const pids = new Map<string, number>();
    for (const m of members) {
      const dir = await group.tempDir('meshraft-bench-etcd-');
      const p = spawnProc('etcd', [
        '--name', m.name, '--data-dir', dir,
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench',
      ]);
      group.add(p);
      pids.set(`http://127.0.0.1:${m.client}/`, p.child.pid!);
    }
    const urls = members.map((m) => new URL(`http://127.0.0.1:${m.client}/`));
    let leader: URL | undefined;
    await waitUntil('an etcd leader', async () => (leader = await findLeader(urls)) !== undefined);
    return { leader: leader!, leaderPid: pids.get(leader!.href)!, memberPids: urls.map((u) => pids.get(u.href)!), all: urls, signaling: leader!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
