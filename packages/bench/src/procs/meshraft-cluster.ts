/**
 * @module procs/meshraft-cluster
 * Three `meshraft peer` processes (file storage with fsync, their defaults otherwise) and a
 * signaling server process on loopback, for benchmarks. WebRTC unless `relayOnly`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procGroup, spawnProc, waitUntil, type Proc } from './child.js';
import { findLeader, post } from './http.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = join(repoRoot, 'packages/etcd/src/cli.ts');

export interface ClusterOptions {
  readonly relayOnly: boolean;
  /** Write V8 CPU profiles of every process here, at exit. */
  readonly cpuProfDir?: string | undefined;
}

export interface RunningCluster {
  /** The leader's gateway, and each member's by process. */
  readonly leader: URL;
  readonly leaderPid: number;
  /** Every member's process id, in the order of `all`. */
  readonly memberPids: readonly number[];
  readonly all: readonly URL[];
  readonly signaling: URL;
  stop(): Promise<void>;
}

function meshraft(args: readonly string[], cpuProfDir: string | undefined): Proc {
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  return spawnProc(process.execPath, [...prof, '--import', 'tsx', '--conditions=source', cli, ...args], { cwd: repoRoot });
}

export async function startMeshraftCluster(o: ClusterOptions): Promise<RunningCluster> {
  const group = procGroup();
  const stop = group.stop;
  try {
    const sig = meshraft(['signaling', '--port', '0', '--host', '127.0.0.1', '--rate', '1000000'], o.cpuProfDir);
    group.add(sig);
    const port = /port (\d+)/.exec(await sig.line(/listening on port/))![1];
    const urls: URL[] = [];
    const pids = new Map<string, number>();
    for (const id of ['a', 'b', 'c']) {
      const dir = await group.tempDir('meshraft-bench-peer-');
      const p = meshraft(
        ['peer', ...(o.relayOnly ? ['--relay-only'] : []), '--quiet', '--cluster', 'bench', '--signaling', `ws://127.0.0.1:${port}`,
          '--data', dir, '--id', id, '--http', '127.0.0.1:0', ...(id === 'a' ? ['--bootstrap'] : [])],
        o.cpuProfDir,
      );
      group.add(p);
      const url = new URL(/(http:\/\/\S+)/.exec(await p.line(/etcd gateway listening/))![1]!);
      urls.push(url);
      pids.set(url.href, p.child.pid!);
    }
    await waitUntil('three voters', async () => {
      const r = JSON.parse((await post(urls[0]!, '/v3/cluster/member/list', '{}')).text) as { members?: { isLearner?: boolean }[] };
      return r.members?.length === 3 && r.members.every((m) => !m.isLearner);
    });
    let leader: URL | undefined;
    await waitUntil('a leader', async () => (leader = await findLeader(urls)) !== undefined);
    return { leader: leader!, leaderPid: pids.get(leader!.href)!, memberPids: urls.map((u) => pids.get(u.href)!), all: urls, signaling: new URL(`http://127.0.0.1:${port}`), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
