/**
 * The `etcd3` npm client's Lease API against serveEtcd over a local KV state machine: grant,
 * keys attached with a lease, keep-alive, time-to-live with keys, the list, revoke, and the
 * client's lease-lost detection; plus etcd's answers to unknown leases and bad TTLs.
 */
import { describe, expect, it } from 'vitest';
import { EtcdLeaseInvalidError, type Lease } from 'etcd3';
import { credentials } from '@grpc/grpc-js';
import { localEtcdPerTest } from '../__tests__/local-etcd.js';
import { etcdGrpcClient } from './proto.js';
import { waitFor } from '../__tests__/wait.js';

const start = localEtcdPerTest();

/** A raw unary call on the Lease service, for what etcd3 does not expose. */
function leaseCall(address: string, method: string, req: object): Promise<Record<string, unknown>> {
  const c = etcdGrpcClient('Lease', address, credentials.createInsecure()) as unknown as Record<string, (r: object, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>;
  return new Promise((resolve, reject) =>
    c[method]!.call(c, req, (err, v) => {
      (c as unknown as { close(): void }).close();
      if (err) reject(err);
      else resolve(v);
    }),
  );
}

describe('Lease service with the etcd3 client', () => {
  it('grants, attaches keys, keeps alive, reports TTL and keys, lists and revokes', async () => {
    const { client } = await start();
    const lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('svc/a').value('1');
    await lease.put('svc/b').value('2');
    const kept = await lease.keepaliveOnce();
    expect(kept.TTL).toBe('30');
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(ttl.grantedTTL).toBe('30');
    expect(Number(ttl.TTL)).toBeGreaterThan(25);
    expect(ttl.keys.map((k) => k.toString())).toEqual(['svc/a', 'svc/b']);
    expect((await client.leaseClient.leaseLeases()).leases.map((l) => l.ID)).toEqual([id]);
    const got = await client.get('svc/a').exec();
    expect(got.kvs[0]?.lease).toBe(id);
    await lease.revoke();
    expect(await client.getAll().prefix('svc/').keys()).toEqual([]);
    expect((await client.leaseClient.leaseLeases()).leases).toEqual([]);
    expect((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL).toBe('-1');
  });

  it('a client-chosen id is used; a second grant of it fails as in etcd', async () => {
    const { address } = await start();
    const r = await leaseCall(address, 'LeaseGrant', { ID: '12345', TTL: '20' });
    expect(r).toMatchObject({ ID: '12345', TTL: '20' });
    await expect(leaseCall(address, 'LeaseGrant', { ID: '12345', TTL: '20' })).rejects.toMatchObject({ code: 9, details: 'etcdserver: lease already exists' });
    await expect(leaseCall(address, 'LeaseGrant', { TTL: '9000000001' })).rejects.toMatchObject({ code: 11, details: 'etcdserver: too large lease TTL' });
    await expect(leaseCall(address, 'LeaseRevoke', { ID: '999' })).rejects.toMatchObject({ code: 5, details: 'etcdserver: requested lease not found' });
  });

  it('a put with an unknown lease fails with etcd\'s error; ignore_lease keeps the lease', async () => {
    const { client } = await start();
    await expect(client.put('k').value('v').lease('777').exec()).rejects.toThrow(/requested lease not found/);
    const lease = client.lease(30, { autoKeepAlive: false });
    await lease.put('k').value('1');
    await client.kv.put({ key: Buffer.from('k'), value: Buffer.from('2'), ignore_lease: true });
    const got = await client.get('k').exec();
    expect(got.kvs[0]?.lease).toBe(await lease.grant());
    expect(got.kvs[0]?.value.toString()).toBe('2');
    await lease.revoke();
  });

  it("the client hears 'lost' once the lease is revoked behind its back", async () => {
    const { client } = await start();
    const lease: Lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    const lost = new Promise<Error>((resolve) => lease.on('lost', resolve));
    await client.leaseClient.leaseRevoke({ ID: id });
    await expect(lease.keepaliveOnce()).rejects.toBeInstanceOf(EtcdLeaseInvalidError);
    expect(await lost).toBeInstanceOf(EtcdLeaseInvalidError);
  });

  it('the leader expires a lease through a revoke command; a follower never does', async () => {
    const { kv, client } = await start();
    kv.setLeader('someone-else');
    const id = '4242';
    // Granted directly on the state machine: the service would need a leader.
    kv.stateMachine.apply({ type: 'leaseGrant', id: Number(id), ttl: 1 }, { index: 1, term: 1 });
    kv.stateMachine.apply({ type: 'put', key: Buffer.from('eph'), value: Buffer.from('x'), lease: Number(id) }, { index: 2, term: 1 });
    // Well past the TTL as a follower: nothing is revoked.
    await new Promise((r) => setTimeout(r, 1500));
    kv.leaseKeeper.sweep();
    expect(kv.stateMachine.leases.get(Number(id))).toBeDefined();
    // As leader, the lease gets its full TTL plus an election timeout, then is revoked.
    kv.setLeader('m1');
    await waitFor(() => kv.stateMachine.leases.get(Number(id)) === undefined, 'the expiry revoke', 10_000);
    expect(await client.get('eph').string()).toBeNull();
  });
});
