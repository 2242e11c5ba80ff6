/**
 * The `etcd3` npm client's leases across a SIGKILL of the leader peer (three peer processes):
 * a lease the client keeps alive survives the leader change, past twice its TTL, with its key;
 * a lease whose keep-alives stopped expires on the new leader's clock, its key is deleted, and
 * etcd3 reports it `lost` on the next keep-alive.
 */
import { Etcd3, EtcdLeaseInvalidError } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterOf, eventually, killAll, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
const clients: Etcd3[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await killAll();
  await dirs.cleanup();
});

describe('etcd3 leases across a leader SIGKILL', () => {
  it('a kept-alive lease survives the leader change; a lease left alone expires and is reported lost', { timeout: 120_000 }, async () => {
    const { url: signaling } = await startSignaling();
    const peers = new Map<string, PeerProcess>();
    for (const id of ['a', 'b', 'c']) {
      peers.set(id, await startPeer(['--cluster', 'lease-failover', '--signaling', signaling, '--data', await dirs.make(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])]));
    }
    const leaderOf = await clusterOf(peers, 'a');
    const client = new Etcd3({ hosts: [...peers.values()].map((p) => p.url), dialTimeout: 5_000 });
    clients.push(client);

    const kept = client.lease(4);
    const lostKept: Error[] = [];
    kept.on('lost', (e) => lostKept.push(e));
    let renewals = 0;
    kept.on('keepaliveSucceeded', () => renewals++);
    await kept.put('svc/kept').value('1');
    const idle = client.lease(3, { autoKeepAlive: false });
    const lostIdle: Error[] = [];
    idle.on('lost', (e) => lostIdle.push(e));
    await idle.put('svc/idle').value('2');
    const idleGranted = Date.now();

    const leader = await leaderOf();
    await peers.get(leader)!.kill('SIGKILL');
    const killedAt = Date.now();
    peers.delete(leader); // leaderOf() asks the members still in the map
    const survivors = [...peers.values()].map((p) => p.url);
    const viaSurvivor = new Etcd3({ hosts: survivors, dialTimeout: 5_000 });
    clients.push(viaSurvivor);
    const next = await eventually('a new leader', async () => {
      const l = await leaderOf();
      return l !== leader ? l : undefined;
    });
    expect(peers.has(next)).toBe(true);

    // The idle lease: gone on the survivors once its TTL passed, never before.
    await eventually('the idle lease expires', async () => ((await viaSurvivor.get('svc/idle').string()) === null ? true : undefined), 30_000);
    expect(Date.now() - idleGranted).toBeGreaterThanOrEqual(3_000);
    // The client's pool may first pick the dead member (UNAVAILABLE): asked again until a member answers.
    const invalid = await eventually('etcd3 told the lease is gone', () =>
      idle.keepaliveOnce().then(
        () => 'still alive',
        (e: unknown) => (e instanceof EtcdLeaseInvalidError ? e : undefined),
      ),
    );
    expect(invalid).toBeInstanceOf(EtcdLeaseInvalidError);
    expect(lostIdle).toHaveLength(1);

    // The kept lease: keep-alives resume through a survivor and it outlives twice its TTL.
    const before = renewals;
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 9_000 - Date.now())));
    expect(renewals).toBeGreaterThan(before);
    expect(lostKept).toEqual([]);
    expect(kept.revoked()).toBe(false);
    expect(await viaSurvivor.get('svc/kept').string()).toBe('1');
    const ttl = await viaSurvivor.leaseClient.leaseTimeToLive({ ID: await kept.grant() });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    await kept.revoke();
    expect(await viaSurvivor.get('svc/kept').string()).toBeNull();
  });
});
