/**
 * Test helper: run etcdctl 3.4 (Debian's etcd-client) once and collect what it printed, and
 * start the two clusters a comparison needs: three meshraft peers and a real three-member etcd.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster.js';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './peer-process.js';

export interface EtcdctlRun {
  readonly out: string;
  readonly err: string;
  readonly code: number | null;
}

/** One etcdctl command against `endpoint` (comma-separated for several), `input` on stdin. */
export function runEtcdctl(endpoint: string, args: readonly string[], input?: string): Promise<EtcdctlRun> {
  return new Promise((resolve) => {
    const child = spawn('etcdctl', ['--endpoints', endpoint, '--command-timeout=10s', '--dial-timeout=5s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ out, err, code }));
    child.stdin.end(input ?? '');
  });
}

/** etcdctl's error lines, without its timestamped retry logs. */
export function errorLines(s: string): string[] {
  return s.split('\n').filter((l) => l.startsWith('Error'));
}

/**
 * Until `peer` lists three voters that have published their names and client URLs (as etcd's
 * helper waits for every client URL) and reports a leader; a peer that exits fails at once, with its output.
 */
async function meshraftReady(peer: PeerProcess, what: string): Promise<void> {
  let ready = false;
  const exit = peer.exited.then((s) => {
    if (!ready) throw new Error(`${what} exited (${s}) during start:\n${peer.lines.join('\n')}`);
  });
  exit.catch(() => {});
  await Promise.race([
    exit,
    eventually(`${what}: three voters and a leader`, async () => {
      const members = (await post(peer.url, '/v3/cluster/member/list')).json.members as { isLearner?: boolean; name?: string; clientURLs?: string[] }[] | undefined;
      if (members?.length !== 3 || members.some((m) => m.isLearner || !m.name || !m.clientURLs?.length)) return undefined;
      return String((await post(peer.url, '/v3/maintenance/status')).json.leader ?? '0') !== '0' ? true : undefined;
    }),
  ]);
  ready = true;
}

export interface ComparedClusters {
  readonly peers: readonly PeerProcess[];
  readonly etcd: EtcdCluster;
  /** SIGTERMs meshraft peer `i` and starts it again on its data directory (a new client URL), with `extra` flags. */
  restart(i: number, extra?: readonly string[]): Promise<PeerProcess>;
}

/**
 * Three meshraft voters (a founds, b and c join) and a three-member etcd, both healthy: every
 * meshraft peer lists three voters and knows a leader, every etcd member answers (see
 * startEtcdCluster); the two start side by side.
 */
export async function startComparedClusters(cluster: string, makeDir: () => Promise<string>): Promise<ComparedClusters> {
  const etcdStarted = startEtcdCluster(await makeDir());
  etcdStarted.catch(() => {}); // awaited below; a meshraft failure first must not leave it unhandled
  const { url: signaling } = await startSignaling();
  const args = await Promise.all(
    ['a', 'b', 'c'].map(async (id) => ['--cluster', cluster, '--signaling', signaling, '--data', await makeDir(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])]),
  );
  const peers = await Promise.all(args.map((a) => startPeer(a)));
  try {
    await Promise.all(peers.map((p, i) => meshraftReady(p, `meshraft peer ${'abc'[i]}`)));
  } catch (e) {
    await (await etcdStarted.catch(() => undefined))?.kill(); // the caller never gets it to stop
    throw e;
  }
  const etcd = await etcdStarted;
  return {
    peers,
    etcd,
    async restart(i, extra = []) {
      await peers[i]!.kill('SIGTERM');
      peers[i] = await startPeer([...args[i]!.filter((a) => a !== '--bootstrap'), ...extra]);
      return peers[i]!;
    },
  };
}

/** Registers beforeAll/afterAll for a test file: both clusters started, then stopped and their directories removed. */
export function useComparedClusters(cluster: string): () => ComparedClusters {
  const dirs = tempDirs();
  let clusters: ComparedClusters | undefined;
  beforeAll(async () => {
    clusters = await startComparedClusters(cluster, () => dirs.make());
  }, 120_000);
  afterAll(async () => {
    await clusters?.etcd.kill();
    await killAll();
    await dirs.cleanup();
  });
  return () => clusters!;
}
