/**
 * `etcdctl lock` and `etcdctl elect` (etcdctl 3.4, Go's concurrency package on the client side)
 * against a three-peer meshraft cluster and a real three-member etcd, running the same script:
 * two lock contenders, a lock with a command, elections with an observer (`elect --listen`), and
 * the Lock and Election RPCs queueing with etcdctl on the same names. Each cluster's transcript
 * (what every process printed, in the order things happened) must be the same once lease ids are
 * replaced by LEASE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from './__tests__/etcd-cluster.js';
import { etcdctlProcess, stopAllEtcdctl } from './__tests__/etcdctl-process.js';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';
import { serviceCaller, stillPending, type Reply } from '../grpc/__tests__/service-caller.js';

const dirs = tempDirs();
let etcd: EtcdCluster | undefined;
afterAll(async () => {
  await stopAllEtcdctl();
  await etcd?.kill();
  await killAll();
  await dirs.cleanup();
});

/** Lease ids (hex in keys) differ between any two runs. */
const normalize = (lines: readonly string[]) => lines.map((l) => l.replace(/\/[0-9a-f]{6,16}$/, '/LEASE'));
const text = (v: unknown) => Buffer.from(v as Uint8Array).toString();
const settle = () => new Promise((r) => setTimeout(r, 1000));

/** Two contenders, a lock with a command, and the Lock RPC, on one cluster given its three client URLs. */
async function lockScript(urls: readonly string[]): Promise<string[]> {
  const t: string[] = [];
  const a = etcdctlProcess(urls[0]!, ['lock', 'L']);
  t.push(`a holds: ${normalize(await a.lines(1)).join('|')}`);
  const b = etcdctlProcess(urls[1]!, ['lock', 'L']);
  await settle();
  t.push(`b while a holds: [${normalize(b.out().split('\n').filter(Boolean)).join('|')}]`);
  t.push(`a stopped: ${await a.stop()}`);
  t.push(`b holds: ${normalize(await b.lines(1)).join('|')}`);
  // The Lock RPC queues behind etcdctl's key, and etcdctl's command form behind the RPC's.
  const grpcLock = serviceCaller('Lock', urls[2]!.replace('http://', ''));
  const grpcLease = serviceCaller('Lease', urls[2]!.replace('http://', ''));
  try {
    const lease = String((await grpcLease.call('LeaseGrant', { TTL: '30' })).ID);
    const rpc = grpcLock.call('Lock', { name: Buffer.from('L'), lease });
    t.push(`rpc waits behind b: ${await stillPending(rpc, 1000)}`);
    const c = etcdctlProcess(urls[0]!, ['lock', 'L', 'echo', 'c ran its command']);
    t.push(`b stopped: ${await b.stop()}`);
    const held = await rpc;
    t.push(`rpc holds: ${normalize([text(held.key)]).join('')}`);
    await settle();
    t.push(`c while rpc holds: [${c.out().trim()}]`);
    await grpcLock.call('Unlock', { key: held.key });
    t.push(`c: ${(await c.lines(1)).join('|')}, exit ${await c.exited}`);
    await grpcLease.call('LeaseRevoke', { ID: lease });
  } finally {
    grpcLock.close();
    grpcLease.close();
  }
  return t;
}

/** An observer, two campaigners and the Campaign RPC, on one cluster. */
async function electScript(urls: readonly string[]): Promise<string[]> {
  const t: string[] = [];
  const listen = etcdctlProcess(urls[2]!, ['elect', '--listen', 'E']);
  const p1 = etcdctlProcess(urls[0]!, ['elect', 'E', 'p1']);
  t.push(`p1 elected: ${normalize(await p1.lines(2)).join('|')}`);
  const p2 = etcdctlProcess(urls[1]!, ['elect', 'E', 'p2']);
  await settle();
  t.push(`p2 while p1 leads: [${p2.out().trim()}]`);
  const election = serviceCaller('Election', urls[2]!.replace('http://', ''));
  try {
    t.push(`Leader rpc: ${text(((await election.call('Leader', { name: Buffer.from('E') })).kv as Reply).value)}`);
    const rpc = election.call('Campaign', { name: Buffer.from('E'), lease: String((await serviceLease(urls[2]!)).ID), value: Buffer.from('rpc') });
    t.push(`p1 stopped: ${await p1.stop()}`);
    t.push(`p2 elected: ${normalize(await p2.lines(2)).join('|')}`);
    t.push(`rpc waits behind p2: ${await stillPending(rpc, 1000)}`);
    t.push(`p2 stopped: ${await p2.stop()}`);
    const leader = (await rpc).leader as Reply;
    t.push(`rpc elected: ${normalize([text(leader.key)]).join('')}`);
    await election.call('Proclaim', { leader, value: Buffer.from('rpc2') });
    t.push(`listener: ${normalize(await listen.lines(8)).join('|')}`);
    await election.call('Resign', { leader });
  } finally {
    election.close();
  }
  t.push(`listener stopped: ${await listen.stop()}`);
  return t;
}

async function serviceLease(url: string): Promise<Reply> {
  const lease = serviceCaller('Lease', url.replace('http://', ''));
  try {
    return await lease.call('LeaseGrant', { TTL: '30' });
  } finally {
    lease.close();
  }
}

describe('etcdctl lock and elect against meshraft and a three-member etcd', () => {
  let peers: PeerProcess[] = [];
  let reference: readonly string[] = [];

  beforeAll(async () => {
    etcd = await startEtcdCluster(await dirs.make());
    reference = etcd.urls;
    const { url: signaling } = await startSignaling();
    peers = await Promise.all(
      ['a', 'b', 'c'].map(async (id) =>
        startPeer(['--cluster', 'ctl-lock', '--signaling', signaling, '--data', await dirs.make(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])]),
      ),
    );
    await eventually('three meshraft voters', async () => {
      const members = (await post(peers[0]!.url, '/v3/cluster/member/list')).json.members as { isLearner?: boolean }[] | undefined;
      return members?.length === 3 && members.every((m) => !m.isLearner) ? true : undefined;
    });
    await eventually('etcd up', async () => ((await post(reference[0]!, '/v3/kv/range', { key: 'eA==' })).status === 200 ? true : undefined));
  }, 120_000);

  it('lock: the second contender waits for the first; the Lock RPC and etcdctl queue together; the same transcript', async () => {
    const theirs = await lockScript(reference);
    const ours = await lockScript(peers.map((p) => p.url));
    expect(ours).toEqual(theirs);
    expect(theirs).toEqual([
      'a holds: L/LEASE',
      'b while a holds: []',
      'a stopped: 0',
      'b holds: L/LEASE',
      'rpc waits behind b: true',
      'b stopped: 0',
      'rpc holds: L/LEASE',
      'c while rpc holds: []',
      'c: c ran its command, exit 0',
    ]);
  }, 60_000);

  it('elect and elect --listen: leadership passes in campaign order, the observer sees every leader and value; the same transcript', async () => {
    const theirs = await electScript(reference);
    const ours = await electScript(peers.map((p) => p.url));
    expect(ours).toEqual(theirs);
    expect(theirs).toEqual([
      'p1 elected: E/LEASE|p1',
      'p2 while p1 leads: []',
      'Leader rpc: p1',
      'p1 stopped: 0',
      'p2 elected: E/LEASE|p2',
      'rpc waits behind p2: true',
      'p2 stopped: 0',
      'rpc elected: E/LEASE',
      'listener: E/LEASE|p1|E/LEASE|p2|E/LEASE|rpc|E/LEASE|rpc2',
      'listener stopped: 0',
    ]);
  }, 60_000);
});
