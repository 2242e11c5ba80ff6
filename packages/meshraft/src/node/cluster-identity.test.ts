/** Cluster identity: minted at founding, kept, adopted by joiners, and another history refused. */
import { EMPTY_CONF_STATE } from '@meshraft/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounterStateMachine } from '../kv/index.js';
import { encodeSnapshotPayload } from './entry-codec.js';
import { testCluster, waitFor, type CounterNode, type TestCluster } from './__tests__/cluster.js';
import { ClusterIdentity, isClusterId, legacyClusterId, META_CLUSTER_ID, mintClusterId } from './cluster-identity.js';
import { ClusterIdMismatchError, InvalidOptionError } from './errors.js';
import { META_CLUSTER, META_NODE_ID } from './node-types.js';
import { decodeFrame, encodeFrame } from './wire.js';
import { reopenableStorage } from './__tests__/reopenable-storage.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const members = (n: CounterNode): string[] => n.status().members.map((m) => m.id).sort();

describe('cluster identity', () => {
  it('a founder mints a 128-bit id, keeps it across a restart, and a joiner adopts it', async () => {
    cluster = testCluster(21);
    const a = await cluster.start('a', { bootstrap: true });
    const id = a.status().clusterId!;
    expect(isClusterId(id)).toBe(true);
    const b = await cluster.start('b');
    expect(b.status().clusterId).toBeNull();
    await waitFor(() => b.status().clusterId === id && members(a).includes('b'), 'b to be admitted');
    await a.stop();
    const again = await cluster.start('a', { bootstrap: true });
    expect(again.status().clusterId).toBe(id);
    await b.stop();
    const b2 = await cluster.start('b');
    expect(b2.status().clusterId).toBe(id); // persisted at adoption
  });

  it('two founders under one name refuse each other, and a joiner is added by exactly one', async () => {
    cluster = testCluster(22);
    const a = await cluster.start('a', { bootstrap: true });
    const x = await cluster.start('x', { bootstrap: true });
    expect(a.status().clusterId).not.toBe(x.status().clusterId);
    const events: { from: string; clusterId: string }[] = [];
    a.on('foreign-cluster', (e) => events.push(e));
    await waitFor(() => a.status().foreignClusterIds?.includes(x.status().clusterId!), 'a to see x as foreign');
    await waitFor(() => events.length > 0, 'the foreign-cluster event');
    expect(events[0]).toMatchObject({ from: 'x', clusterId: x.status().clusterId });
    expect(a.metrics().foreignClusterFrames).toBeGreaterThan(0);
    // Two histories met: one of them stops (fork-detector), and never takes the other's frames.
    const [winner, loser] = a.status().clusterId! < x.status().clusterId! ? [a, x] : [x, a];
    await waitFor(() => loser.status().fork?.state === 'FORKED', 'the loser to stop');
    const j = await cluster.start('j');
    await waitFor(() => j.status().clusterId !== null && j.status().leader !== null, 'j admitted by one cluster');
    // Give the other founder every chance to add it too.
    await new Promise((r) => setTimeout(r, 500));
    expect(members(winner)).toContain('j');
    expect(members(loser)).not.toContain('j');
    expect(j.status().clusterId).toBe(winner.status().clusterId);
    expect(winner.status().leader).toBe(winner.id);
  });

  it('a joiner given a cluster id joins only that cluster', async () => {
    cluster = testCluster(23);
    // The founders never meet; the joiner hears both. Once admitted it carries x's id to a, and
    // one of the two histories stops (fork-detector): only admission is looked at here.
    cluster.net.cut('a', 'x');
    const a = await cluster.start('a', { bootstrap: true });
    const x = await cluster.start('x', { bootstrap: true });
    const j = await cluster.start('j', { clusterId: x.status().clusterId! });
    expect(j.status().waiting).toMatch(/^waiting: /);
    await waitFor(() => members(x).includes('j') && j.status().clusterId === x.status().clusterId, 'j admitted by x');
    expect(members(a)).not.toContain('j');
  });

  it('says why a fresh joiner waits while no member is online', async () => {
    cluster = testCluster(24);
    const j = await cluster.start('j');
    expect(j.status().waiting).toBe('waiting: no member of cluster test online');
    const id = mintClusterId(undefined);
    const k = await cluster.start('k', { clusterId: id });
    expect(k.status().waiting).toBe(`waiting: no member of cluster ${id} online`);
    // Two fresh nodes hear each other but neither has an id: neither is "a member online".
    await new Promise((r) => setTimeout(r, 200));
    expect(j.status().clusterId).toBeNull();
    expect(j.status().waiting).toBe('waiting: no member of cluster test online');
  });

  it('storage from before cluster ids gets the name-derived legacy id, the same on every member', async () => {
    cluster = testCluster(25);
    for (const id of ['a', 'b']) {
      const disk = reopenableStorage();
      cluster.disks.set(id, disk);
      const s = disk.open();
      await s.setMeta(META_CLUSTER, 'test');
      await s.setMeta(META_NODE_ID, id);
      const confState = { ...EMPTY_CONF_STATE, voters: ['a', 'b'] };
      await s.save({
        snapshot: { metadata: { index: 1, term: 1, confState }, data: encodeSnapshotPayload({ state: createCounterStateMachine().snapshot(), sessions: [] }) },
        hardState: { term: 1, vote: null, commit: 1 },
      });
      await s.close();
    }
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    expect(a.status().clusterId).toBe(legacyClusterId('test'));
    expect(b.status().clusterId).toBe(legacyClusterId('test'));
    await cluster.leader();
    expect(await a.propose({ type: 'add', delta: 2 })).toEqual({ ok: true, value: 2 });
    await a.stop();
    const s = cluster.disks.get('a')!.open();
    expect(s.getMeta(META_CLUSTER_ID)).toBe(legacyClusterId('test')); // kept from now on
    await s.close();
  });

  it('refuses a clusterId option that is malformed or disagrees with storage', async () => {
    cluster = testCluster(26);
    await expect(cluster.start('q', { clusterId: 'not-hex' })).rejects.toBeInstanceOf(InvalidOptionError);
    const a = await cluster.start('a', { bootstrap: true });
    await a.stop();
    cluster.nodes.delete('a');
    await expect(cluster.start('a', { clusterId: mintClusterId(undefined) })).rejects.toBeInstanceOf(ClusterIdMismatchError);
  });
});

describe('frames carry the id', () => {
  const id = 'ab'.repeat(16);
  it('round-trips the id beside the payload and refuses a malformed one', () => {
    const f = decodeFrame('c', encodeFrame('c', 'a', 'b', { kind: 'join', node: 'a' }, id));
    expect(f).toEqual({ from: 'a', to: 'b', payload: { kind: 'join', node: 'a' }, clusterId: id });
    expect(decodeFrame('c', encodeFrame('c', 'a', 'b', { kind: 'join', node: 'a' }))?.clusterId).toBeUndefined();
    expect(decodeFrame('c', encodeFrame('c', 'a', 'b', { kind: 'join', node: 'a' }, 'xyz'))).toBeUndefined();
  });
});

describe('a fresh joiner that departs', () => {
  it('names the cluster it asked to join, so its members hear it leaving (FOUND-BUGS 12)', () => {
    const id = 'cd'.repeat(16);
    const quiet = { log: { debug() {}, info() {}, warn() {}, error() {} } } as unknown as ConstructorParameters<typeof ClusterIdentity>[0];
    // Not yet admitted (no id of its own): its join and depart carry the target, nothing else does.
    const joiner = new ClusterIdentity(quiet, null, id, () => {});
    expect([joiner.carried('join'), joiner.carried('depart'), joiner.carried('raft'), joiner.carried('campaign')]).toEqual([id, id, null, null]);
    const member = new ClusterIdentity(quiet, id, null, () => {});
    const depart = { from: 'd', to: 'a', payload: { kind: 'depart', node: 'd' } } as const;
    expect(member.admit({ ...depart, clusterId: joiner.carried('depart')! })).toBe(true);
    expect(member.admit(depart)).toBe(false); // without an id it would be dropped
  });
});
