import { seededRandom } from '@meshraft/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounterStateMachine } from '../kv/index.js';
import { FAST_TIMING, testCluster, waitFor, type CounterNode, type TestCluster } from './__tests__/cluster.js';
import { createNode } from './create-node.js';
import { InvalidOptionError, NodeIdMismatchError, NodeStoppedError, NoQuorumError, ProposalTooLargeError } from './errors.js';

const VOTERS = { voters: ['a', 'b', 'c'] };
let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

async function threeNodes(): Promise<TestCluster> {
  cluster = testCluster();
  for (const id of VOTERS.voters) await cluster.start(id, { bootstrap: VOTERS });
  return cluster;
}

describe('MeshraftNode', () => {
  it('a 3-node cluster elects a leader and commits on every replica', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const r = await leader.propose({ type: 'add', delta: 5 });
    expect(r).toEqual({ ok: true, value: 5 });
    for (const id of VOTERS.voters) {
      await waitFor(() => c.node(id).status().applied >= leader.status().applied, `${id} to apply`);
      expect((await c.node(id).read({ type: 'get' }, { consistency: 'local' })).value).toBe(5);
    }
  });

  it('proposes from a follower and reads linearizably there', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    expect(await follower.propose({ type: 'add', delta: 2 })).toEqual({ ok: true, value: 2 });
    expect(await follower.propose({ type: 'add', delta: 3 })).toEqual({ ok: true, value: 5 });
    expect((await follower.read({ type: 'get' })).value).toBe(5);
    expect((await leader.read({ type: 'get' }, { consistency: 'lease' })).value).toBe(5);
  });
});

describe('MeshraftNode leadership transfer', () => {
  it('hands leadership to a chosen voter, from the leader or from a follower', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const [x, y] = [...c.nodes.values()].filter((n) => n !== leader) as [CounterNode, CounterNode];
    await leader.transferLeadership(x.id);
    expect((await c.leader()).id).toBe(x.id);
    await y.transferLeadership(y.id); // asked of a follower: forwarded to the leader
    expect((await c.leader()).id).toBe(y.id);
    expect(await leader.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
    await expect(x.transferLeadership('nobody')).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('MeshraftNode failures and retries', () => {
  it('keeps committing after the leader is killed, including a proposal in flight', async () => {
    const c = await threeNodes();
    const old = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== old)!;
    expect(await follower.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
    await old.stop();
    // Proposed while the cluster has no working leader: retried internally until one is elected.
    const inFlight = follower.propose({ type: 'add', delta: 10 });
    const next = await c.leader();
    expect(next.id).not.toBe(old.id);
    expect(await inFlight).toEqual({ ok: true, value: 11 });
    expect(await next.propose({ type: 'add', delta: 100 })).toEqual({ ok: true, value: 111 });
  });

  it('applies a retried request once and answers the retry with the original result', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    // Cut the follower off: its proposal cannot commit and times out with a retry handle.
    for (const other of c.nodes.keys()) if (other !== follower.id) c.net.cut(follower.id, other);
    const err = await follower.propose({ type: 'add', delta: 7 }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoQuorumError);
    const request = (err as NoQuorumError).request!;
    for (const other of c.nodes.keys()) if (other !== follower.id) c.net.heal(follower.id, other);
    const first = await follower.propose({ type: 'add', delta: 7 }, { request });
    // The same request again lands in the log a second time; every replica skips it.
    const second = await follower.propose({ type: 'add', delta: 7 }, { request });
    expect(second).toEqual(first);
    await leader.propose({ type: 'add', delta: 0 });
    for (const n of c.nodes.values()) {
      await waitFor(() => n.status().applied >= leader.status().applied, 'replicas to catch up');
      expect((await n.read({ type: 'get' }, { consistency: 'local' })).value).toBe(7);
    }
  });

  it('rejects oversized proposals and bad options with typed errors', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const big = leader.propose({ type: 'invalid', reason: 'x'.repeat(600 * 1024) });
    await expect(big).rejects.toBeInstanceOf(ProposalTooLargeError);
    await expect(leader.propose({ type: 'add', delta: 1 }, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(leader.read({ type: 'get' }, { consistency: 'eventual' as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(c.start('d', { timing: { tickMs: 10, electionTicks: 2, heartbeatTicks: 2 } })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(c.start('d', { bootstrap: { voters: ['x'] } })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('stop() rejects pending work and later calls with NodeStoppedError', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    for (const other of c.nodes.keys()) if (other !== follower.id) c.net.cut(follower.id, other);
    const pending = follower.propose({ type: 'add', delta: 1 });
    const read = follower.read({ type: 'get' });
    await follower.stop();
    await expect(pending).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(read).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(follower.propose({ type: 'add', delta: 1 })).rejects.toBeInstanceOf(NodeStoppedError);
    expect(follower.status().stopped).toBe(true);
  });

  it('a reloaded node keeps its id and its log', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    for (let i = 0; i < 5; i++) await leader.propose({ type: 'add', delta: 1 });
    await waitFor(() => follower.status().applied >= leader.status().applied, 'follower to apply');
    await follower.stop();
    const disk = c.disks.get(follower.id)!;
    const reopened = disk.open();
    const kept = reopened.lastIndex();
    expect(kept).toBeGreaterThanOrEqual(6);
    // No id given: the node takes the one it stored, so it is the same member with the same log.
    const again = await createNode({
      cluster: 'test',
      storage: reopened,
      transport: (id) => c.net.transport(id),
      stateMachine: createCounterStateMachine(),
      timing: FAST_TIMING,
    });
    c.nodes.set(again.id, again);
    expect(again.id).toBe(follower.id);
    // The same storage refuses another identity or another cluster.
    const other = follower.id === 'a' ? 'b' : 'a';
    const sm = createCounterStateMachine();
    await expect(
      createNode({ cluster: 'test', id: other, storage: disk.open(), transport: (id) => c.net.transport(`x-${id}`), stateMachine: sm }),
    ).rejects.toBeInstanceOf(NodeIdMismatchError);
    await expect(
      createNode({ cluster: 'other', storage: disk.open(), transport: (id) => c.net.transport(`y-${id}`), stateMachine: sm }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await waitFor(() => again.status().applied >= kept, 'replay of the stored log');
    expect((await again.read({ type: 'get' }, { consistency: 'local' })).value).toBe(5);
    expect(await again.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 6 });
  });
});

describe('MeshraftNode sessions across restarts', () => {
  it('a restart with the same seeded random source opens a new session, not the old one', async () => {
    cluster = testCluster();
    const random = (): (() => number) => seededRandom(7);
    const a = await cluster.start('a', { bootstrap: true, random: random() });
    await waitFor(() => a.status().role === 'leader', 'a to lead');
    expect(await a.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
    await a.stop();
    const again = await cluster.start('a', { random: random() });
    await waitFor(() => again.status().role === 'leader', 'a to lead again');
    // Same seq 1 as before: answered from the old session's cache if the session id repeated.
    expect(await again.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 2 });
    await expect(again.propose({ type: 'add', delta: 1 }, { request: { client: '', seq: 0 } })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('MeshraftNode status and events', () => {
  it('reports role, leader, indices and members with their links', async () => {
    cluster = testCluster();
    const roles: string[] = [];
    const leaders: (string | null)[] = [];
    const applied: number[] = [];
    const a = await cluster.start('a', { bootstrap: VOTERS });
    a.on('role', (r) => roles.push(r));
    a.on('leader', (l) => leaders.push(l));
    a.on('applied', (i) => applied.push(i));
    for (const id of ['b', 'c']) await cluster.start(id, { bootstrap: VOTERS });
    const leader = await cluster.leader();
    await leader.propose({ type: 'add', delta: 1 });
    await waitFor(() => a.status().applied >= leader.status().applied, 'a to apply');
    const s = a.status();
    expect(s).toMatchObject({ id: 'a', cluster: 'test', leader: leader.id, stopped: false });
    expect(s.commit).toBeGreaterThanOrEqual(s.applied);
    expect(s.members.map((m) => [m.id, m.role, m.link])).toEqual([
      ['a', 'voter', 'self'],
      ['b', 'voter', 'memory'],
      ['c', 'voter', 'memory'],
    ]);
    expect(leaders.at(-1)).toBe(leader.id);
    if (leader === a) expect(roles).toContain('leader');
    expect(applied.at(-1)).toBe(s.applied);
    const progress = leader.status().members.filter((m) => m.id !== leader.id);
    expect(progress.every((m) => m.match !== null && m.match > 0)).toBe(true);
  });
});

describe('MeshraftNode snapshots', () => {
  it('compacts its log and catches a lagging replica up from a snapshot', async () => {
    cluster = testCluster();
    for (const id of VOTERS.voters) await cluster.start(id, { bootstrap: VOTERS, snapshotEntries: 5 });
    const leader = await cluster.leader();
    const lagging = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await lagging.stop();
    for (let i = 0; i < 20; i++) await leader.propose({ type: 'add', delta: 1 });
    const disk = cluster.disks.get(leader.id)!.open();
    expect(disk.firstIndex()).toBeGreaterThan(10); // compacted (a second handle reads what was persisted)
    const back = await cluster.start(lagging.id, { snapshotEntries: 5 });
    await waitFor(() => back.status().applied >= leader.status().applied, 'the lagging replica to catch up');
    expect((await back.read({ type: 'get' }, { consistency: 'local' })).value).toBe(20);
    expect(await back.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 21 });
  });
});
