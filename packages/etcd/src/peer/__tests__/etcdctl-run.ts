/**
 * Test helper: runs Debian's etcdctl 3.4 (API v3) against endpoints and collects its output, and
 * starts the pair it compares: a real three-member etcd and three meshraft peers.
 */
import { spawn } from 'node:child_process';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster.js';
import { afterAll, beforeAll } from 'vitest';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './peer-process.js';

export interface Run {
  readonly out: string;
  readonly err: string;
  readonly code: number | null;
}

export function etcdctl(endpoint: string, args: readonly string[], input?: string): Promise<Run> {
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

/** A long-running etcdctl command (watch, lease keep-alive): stdout until `lines` lines arrived, then SIGKILL. */
export function etcdctlLines(endpoint: string, args: readonly string[], lines: number, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', ['--endpoints', endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} printed only:\n${out}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > lines) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(out.split('\n').slice(0, lines).join('\n'));
      }
    });
  });
}

/** etcdctl's error lines, without its timestamped retry logs. */
export function errors(s: string): string[] {
  return s.split('\n').filter((l) => l.startsWith('Error'));
}

/** The two clusters a file compares; filled in by its beforeAll. */
export interface ComparedPair {
  peers: PeerProcess[];
  /** The etcd members' client URLs. */
  reference: readonly string[];
  readonly dirs: { make(): Promise<string> };
  /** Every meshraft peer's URL, comma-separated (etcdctl's --endpoints). */
  ours(): string;
  theirs(): string;
}

/**
 * Registers (in the calling describe) the start of a real three-member etcd and three meshraft
 * peers (a founds `cluster`, b and c join), both ready for etcdctl, and their teardown.
 */
export function useComparedPair(cluster: string): ComparedPair {
  const dirs = tempDirs();
  let etcd: EtcdCluster | undefined;
  const pair: ComparedPair = {
    peers: [],
    reference: [],
    dirs,
    ours: () => pair.peers.map((p) => p.url).join(','),
    theirs: () => pair.reference.join(','),
  };
  beforeAll(async () => {
    etcd = await startEtcdCluster(await dirs.make());
    pair.reference = etcd.urls;
    const { url: signaling } = await startSignaling();
    pair.peers = await Promise.all(
      ['a', 'b', 'c'].map(async (id) =>
        startPeer(['--cluster', cluster, '--signaling', signaling, '--data', await dirs.make(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])]),
      ),
    );
    await eventually('three meshraft voters', async () => {
      const members = (await post(pair.peers[0]!.url, '/v3/cluster/member/list')).json.members as { isLearner?: boolean }[] | undefined;
      return members?.length === 3 && members.every((m) => !m.isLearner) ? true : undefined;
    });
    await eventually('etcd up', async () => ((await etcdctl(pair.theirs(), ['endpoint', 'health', '--cluster'])).code === 0 ? true : undefined));
  }, 120_000);
  afterAll(async () => {
    await etcd?.kill();
    await killAll();
    await dirs.cleanup();
  });
  return pair;
}
