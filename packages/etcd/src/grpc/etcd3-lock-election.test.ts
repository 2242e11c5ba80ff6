/**
 * The `etcd3` npm client's `lock()` and `election()` against serveEtcd over a local KV state
 * machine and against a real etcd 3.4, with the same assertions; and its elections queueing
 * together with the Election RPC on the same keys. etcd3's lock() is a try-lock on one key (a txn
 * with create == 0 and a 30 s lease), not etcd's queue: a second lock() fails at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { serviceCaller, stillPending, type Reply, type ServiceCaller } from './__tests__/service-caller.js';
import { meshraftAndEtcd, TARGETS } from './__tests__/two-targets.js';

const targets = meshraftAndEtcd();

describe.each(TARGETS)('etcd3 lock() and election() (%s)', (target) => {
  let client: Etcd3;
  let other: Etcd3;
  let election: ServiceCaller;
  let n = 0;
  const fresh = (base: string) => `${base}-${n++}`;

  beforeAll(() => {
    client = new Etcd3({ hosts: targets[target], dialTimeout: 10_000 });
    other = new Etcd3({ hosts: targets[target], dialTimeout: 10_000 });
    election = serviceCaller('Election', targets[target]);
  });
  afterAll(() => {
    client.close();
    other.close();
    election.close();
  });

  it('lock(): while held, a second client cannot take it; after release it can', async () => {
    const name = fresh('res');
    const held = await client.lock(name).ttl(10).acquire();
    await expect(other.lock(name).acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    // The key carries the holder's lease, so its expiry would free it too.
    expect((await client.get(name).exec()).kvs[0]?.lease).toBe(await held.leaseId());
    await held.release();
    const order: string[] = [];
    await Promise.all([
      other.lock(name).do(async () => {
        order.push('other in');
        await new Promise((r) => setTimeout(r, 200));
        order.push('other out');
      }),
      new Promise((r) => setTimeout(r, 50)).then(() => client.lock(name).acquire().then(() => order.push('client in'), () => order.push('client refused'))),
    ]);
    expect(order).toEqual(['other in', 'client refused', 'other out']);
    expect(await client.get(name).string()).toBeNull();
  });

  it('election(): campaign, observe, proclaim, resign hand leadership to the next campaigner', async () => {
    const e = client.election(fresh('job'), 10);
    const e2 = other.election(e.name, 10);
    const first = e.campaign('alice');
    await first.wait();
    const observer = await e.observe();
    const seen: (string | undefined)[] = [observer.leader()];
    observer.on('change', (v) => seen.push(v));
    const second = e2.campaign('bob');
    let secondElected = false;
    second.on('elected', () => (secondElected = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondElected).toBe(false);
    await first.proclaim('alice2');
    await expect.poll(() => seen).toEqual(['alice', 'alice2']);
    expect(await e.leader()).toBe('alice2');
    await first.resign();
    await second.wait();
    await expect.poll(() => seen).toEqual(['alice', 'alice2', 'bob']);
    expect(await e2.leader()).toBe('bob');
    await second.resign();
    await observer.cancel();
  });

  it("etcd3's campaign and the Election RPC queue together on election/NAME", async () => {
    const e = client.election(fresh('mixed'), 10);
    const campaign = e.campaign('from-etcd3');
    await campaign.wait();
    const lease = String((await client.leaseClient.leaseGrant({ TTL: 10 })).ID);
    const rpc = election.call('Campaign', { name: Buffer.from(`election/${e.name}`), lease, value: Buffer.from('from-rpc') });
    expect(await stillPending(rpc)).toBe(true);
    const viaRpc = await election.call('Leader', { name: Buffer.from(`election/${e.name}`) });
    expect(Buffer.from((viaRpc.kv as Reply).value as Uint8Array).toString()).toBe('from-etcd3');
    await campaign.resign();
    expect(((await rpc).leader as Reply).lease).toBe(lease);
    expect(await e.leader()).toBe('from-rpc');
    await client.leaseClient.leaseRevoke({ ID: lease });
    expect(await e.leader()).toBeUndefined();
  });
});
