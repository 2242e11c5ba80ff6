/**
 * @module procs/etcd-cluster
 * A three-member etcd cluster (the `etcd` binary: Debian's etcd-server) on loopback with its
 * defaults, data in a temporary directory: the real alternative benchmarks compare against.
 * Started by @meshraft/etcd-reference, as the etcd package's tests start theirs: ports chosen
 * below the ephemeral range, the whole start repeated on fresh ports when a member finds one taken.
 */
import { execFileSync } from 'node:child_process';
import { startEtcdCluster as startReference } from '@meshraft/etcd-reference';
import { procGroup, waitUntil } from './child.js';
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

export async function startEtcdCluster(): Promise<RunningCluster> {
  const group = procGroup();
  const etcd = await startReference({ dataDir: await group.tempDir('meshraft-bench-etcd-'), size: 3, token: 'bench' }).catch(async (err: unknown) => {
    await group.stop();
    throw err;
  });
  const stop = async () => {
    await etcd.stop();
    await group.stop();
  };
  try {
    const urls = etcd.urls.map((u) => new URL(`${u}/`));
    let leader: URL | undefined;
    await waitUntil('an etcd leader', async () => (leader = await findLeader(urls)) !== undefined);
    const pidOf = (u: URL) => etcd.pids[urls.findIndex((x) => x.href === u.href)]!;
    return { leader: leader!, leaderPid: pidOf(leader!), memberPids: [...etcd.pids], all: urls, signaling: leader!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
