/**
 * The v3lock and v3election RPCs, called directly with grpc-js, against serveEtcd over a local
 * KV state machine and against a real etcd 3.4 (/usr/bin/etcd): the same assertions on both, so
 * the answers (keys, revisions, queue order, errors) are etcd's.
 */
import { connect as h2connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { call, stillServes } from './__tests__/grpc-call.js';
import { serviceCaller, stillPending, type Reply, type ServiceCaller } from './__tests__/service-caller.js';
import { meshraftAndEtcd, TARGETS } from './__tests__/two-targets.js';

const targets = meshraftAndEtcd();
const s = (v: unknown) => Buffer.from(v as Uint8Array).toString();

describe.each(TARGETS)('Lock and Election RPCs (%s)', (target) => {
  let lock: ServiceCaller;
  let election: ServiceCaller;
  let lease: ServiceCaller;
  let kv: ServiceCaller;
  let n = 0;
  /** A fresh name per test: the servers are shared by the tests of a target. */
  const fresh = (base: string) => `${base}-${n++}`;
  const grant = async () => String((await lease.call('LeaseGrant', { TTL: '30' })).ID);
  const hex = (id: string) => BigInt(id).toString(16);
  const createRevision = async (key: unknown) => String(((await kv.call('Range', { key })).kvs as Reply[])[0]?.create_revision ?? 'none');

  beforeAll(() => {
    const address = targets[target]!;
    lock = serviceCaller('Lock', address);
    election = serviceCaller('Election', address);
    lease = serviceCaller('Lease', address);
    kv = serviceCaller('KV', address);
  });
  afterAll(() => [lock, election, lease, kv].forEach((c) => c.close()));

  it('Lock returns NAME/LEASE-HEX at once when free; a second lease waits until Unlock', async () => {
    const name = fresh('lk');
    const [a, b] = [await grant(), await grant()];
    const first = await lock.call('Lock', { name: Buffer.from(name), lease: a });
    expect(s(first.key)).toBe(`${name}/${hex(a)}`);
    expect(await createRevision(first.key)).toBe((first.header as Reply).revision);
    // Locking again with the same lease is the same acquisition.
    expect(s((await lock.call('Lock', { name: Buffer.from(name), lease: a })).key)).toBe(`${name}/${hex(a)}`);
    const second = lock.call('Lock', { name: Buffer.from(name), lease: b });
    expect(await stillPending(second)).toBe(true);
    await lock.call('Unlock', { key: first.key });
    expect(s((await second).key)).toBe(`${name}/${hex(b)}`);
  });

  it('Lock with lease 0 holds the key with a new 60 s lease, as etcd\'s orphaned session', async () => {
    const r = await lock.call('Lock', { name: Buffer.from(fresh('nolease')) });
    const id = String(((await kv.call('Range', { key: r.key })).kvs as Reply[])[0]!.lease);
    expect(s(r.key)).toMatch(new RegExp(`/${hex(id)}$`));
    expect((await lease.call('LeaseTimeToLive', { ID: id })).grantedTTL).toBe('60');
    await lease.call('LeaseRevoke', { ID: id });
  });

  it('waiters are served in the order they queued; a revoked holder lease releases the lock', async () => {
    const name = Buffer.from(fresh('fair'));
    const [a, b, c] = [await grant(), await grant(), await grant()];
    await lock.call('Lock', { name, lease: a });
    const order: string[] = [];
    const pb = lock.call('Lock', { name, lease: b }).then((r) => (order.push('b'), r));
    await new Promise((r) => setTimeout(r, 100));
    const pc = lock.call('Lock', { name, lease: c }).then((r) => (order.push('c'), r));
    expect(await stillPending(pc)).toBe(true);
    await lease.call('LeaseRevoke', { ID: a });
    const rb = await pb;
    expect(await stillPending(pc)).toBe(true);
    await lock.call('Unlock', { key: rb.key });
    await pc;
    expect(order).toEqual(['b', 'c']);
  });

  it('a cancelled waiting Lock removes its key; a waiter whose lease ended fails as etcd', async () => {
    const name = fresh('cancel');
    const [a, b, c] = [await grant(), await grant(), await grant()];
    const held = await lock.call('Lock', { name: Buffer.from(name), lease: a });
    const waiting = lock.call('Lock', { name: Buffer.from(name), lease: b });
    expect(await stillPending(waiting)).toBe(true);
    waiting.cancel();
    await expect(waiting).rejects.toMatchObject({ code: 1 });
    const keysNow = async () => ((await kv.call('Range', { key: Buffer.from(`${name}/`), range_end: Buffer.from(`${name}0`) })).kvs as Reply[]).map((k) => s(k.key));
    await expect.poll(keysNow).toEqual([`${name}/${hex(a)}`]);
    // A waiter whose lease is revoked while it waits: etcd 3.5 answers ErrSessionExpired once the
    // lock frees, and so does meshraft. etcd 3.4 (the reference here) still grants it a lock whose
    // key is gone, the bug 3.5 fixed.
    const doomed = lock.call('Lock', { name: Buffer.from(name), lease: c });
    expect(await stillPending(doomed)).toBe(true);
    await lease.call('LeaseRevoke', { ID: c });
    await lock.call('Unlock', { key: held.key });
    if (target === 'etcd') expect(await createRevision((await doomed).key)).toBe('none');
    else await expect(doomed).rejects.toMatchObject({ code: 2, details: 'mutex: session is expired' });
  });

  it('errors: an unknown lease, an empty Unlock key (code Unknown, as etcd\'s in-process client reports them)', async () => {
    await expect(lock.call('Lock', { name: Buffer.from(fresh('bad')), lease: '123456789' })).rejects.toMatchObject({ code: 2, details: 'etcdserver: requested lease not found' });
    await expect(lock.call('Unlock', { key: Buffer.alloc(0) })).rejects.toMatchObject({ code: 2, details: 'etcdserver: key is not provided' });
    await expect(election.call('Campaign', { name: Buffer.from(fresh('bad')), lease: '123456789', value: Buffer.from('v') })).rejects.toMatchObject({ code: 2, details: 'etcdserver: requested lease not found' });
  });

  it('Campaign, Leader, Observe, Proclaim, Resign: the next campaigner is elected, observers see each value', async () => {
    const name = Buffer.from(fresh('el'));
    const [a, b] = [await grant(), await grant()];
    await expect(election.call('Leader', { name })).rejects.toMatchObject({ code: 2, details: 'election: no leader' });
    const seen: string[] = [];
    const obs = election.stream('Observe', { name });
    obs.on('data', (r: Reply) => seen.push(s((r.kv as Reply).value)));
    obs.on('error', () => {});
    const ca = await election.call('Campaign', { name, lease: a, value: Buffer.from('alice') });
    const leader = ca.leader as Reply;
    expect([s(leader.name), s(leader.key), leader.rev, leader.lease]).toEqual([s(name), `${s(name)}/${hex(a)}`, (ca.header as Reply).revision, a]);
    expect(s(((await election.call('Leader', { name })).kv as Reply).value)).toBe('alice');
    const cb = election.call('Campaign', { name, lease: b, value: Buffer.from('bob') });
    expect(await stillPending(cb)).toBe(true);
    await election.call('Proclaim', { leader, value: Buffer.from('alice2') });
    expect(s(((await election.call('Leader', { name })).kv as Reply).value)).toBe('alice2');
    await election.call('Resign', { leader });
    const lb = (await cb).leader as Reply;
    expect(s(lb.key)).toBe(`${s(name)}/${hex(b)}`);
    await expect.poll(() => seen).toEqual(['alice', 'alice2', 'bob']);
    // The resigned LeaderKey no longer owns anything.
    await expect(election.call('Proclaim', { leader, value: Buffer.from('late') })).rejects.toMatchObject({ code: 2, details: 'election: not leader' });
    expect(await election.call('Resign', { leader })).toHaveProperty('header');
    await expect(election.call('Proclaim', { value: Buffer.from('x') })).rejects.toMatchObject({ code: 2, details: '"leader" field must be provided' });
    await expect(election.call('Resign', {})).rejects.toMatchObject({ code: 2, details: '"leader" field must be provided' });
    // Campaigning again with the leading lease and a new value keeps its place and proclaims it.
    const again = await election.call('Campaign', { name, lease: b, value: Buffer.from('bob2') });
    expect((again.leader as Reply).rev).toBe(lb.rev);
    await expect.poll(() => seen).toEqual(['alice', 'alice2', 'bob', 'bob2']);
    obs.cancel();
  });
});

describe('Lock and Election RPCs with random protobuf (meshraft)', () => {
  const METHODS = ['/v3lockpb.Lock/Lock', '/v3lockpb.Lock/Unlock', '/v3electionpb.Election/Campaign', '/v3electionpb.Election/Proclaim', '/v3electionpb.Election/Leader', '/v3electionpb.Election/Observe', '/v3electionpb.Election/Resign'];

  it.each([1, 2])('each call ends with a gRPC status, waits end at their deadline (--seed %i)', async (seed) => {
    const rand = seededRandom(seed);
    const session = h2connect(`http://${targets.meshraft}`);
    try {
      const calls = Array.from({ length: 40 }, () => {
        const path = METHODS[Math.floor(rand() * METHODS.length)]!;
        const body = Buffer.alloc(Math.floor(rand() * 32));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
        const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
        // Lock, Campaign and Observe may wait (an empty name queues behind the last caller): a deadline ends them.
        return call(session, path, framed, { 'grpc-timeout': '1S' }).then((status) => [path, status >= 0 && status <= 16]);
      });
      for (const [path, ok] of await Promise.all(calls)) expect([path, ok]).toEqual([path, true]);
    } finally {
      session.close();
    }
    await stillServes(`http://${targets.meshraft}`);
  });
});
