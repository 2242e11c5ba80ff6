/**
 * etcd's Auth service and the per-request checks, through the `etcd3` npm client and raw gRPC
 * calls. Every test body runs twice: against serveEtcd over a local KV state machine, and against
 * a real etcd 3.4.23 member (/usr/bin/etcd) on loopback, so etcd's answers are the expectation.
 * Where meshraft deliberately differs (AuthStatus, LeaseTimeToLive's check) the test names it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Etcd3, type IOptions } from 'etcd3';
import { credentials, Metadata, type Client } from '@grpc/grpc-js';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { startEtcdCluster, type EtcdCluster } from '../peer/__tests__/etcd-cluster.js';
import { tempDirs } from '../peer/__tests__/peer-process.js';
import { etcdGrpcClient } from './proto.js';
import type { Msg } from './messages.js';

type Target = 'meshraft' | 'etcd';

let server: EtcdServer | undefined;
let etcd: EtcdCluster | undefined;
const dirs = tempDirs();
const clients: Etcd3[] = [];
const raw: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of raw.splice(0)) c.close();
  await server?.close();
  await etcd?.kill();
  server = undefined;
  etcd = undefined;
  await dirs.cleanup();
});

async function hostsOf(target: Target): Promise<string> {
  if (target === 'meshraft') {
    server = await serveEtcd(createLocalKvClient({ clusterId: 'c', memberId: 'm1' }), { host: '127.0.0.1', port: 0 });
    return server.url.replace('http://', '');
  }
  etcd = await startEtcdCluster(await dirs.make(), 1);
  const hosts = etcd.urls[0]!.replace('http://', '');
  for (let i = 0; ; i++) {
    try {
      await call(hosts, 'Maintenance', 'Status', {});
      return hosts;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function start(target: Target) {
  const hosts = await hostsOf(target);
  const connect = (extra: Partial<IOptions> = {}) => {
    const c = new Etcd3({ hosts, dialTimeout: 10_000, ...extra });
    clients.push(c);
    return c;
  };
  return { hosts, connect, root: connect() };
}

/** A unary call with the loader's messages and optional token metadata (no retries, no re-auth). */
function call(hosts: string, service: 'KV' | 'Auth' | 'Maintenance' | 'Cluster' | 'Lease' | 'Lock', method: string, req: Msg, token?: string): Promise<Msg> {
  const c = etcdGrpcClient(service, hosts, credentials.createInsecure());
  raw.push(c);
  const md = new Metadata();
  if (token !== undefined) md.set('token', token);
  return new Promise((resolve, reject) => {
    (c as unknown as Record<string, (r: Msg, m: Metadata, cb: (e: Error | null, out: Msg) => void) => void>)[method]!(req, md, (e, out) => (e ? reject(e) : resolve(out)));
  });
}

/** root:rootpw with the root role; alice:apw with role `app` (readwrite on app/, read on cfg). */
async function enableAuth(root: Etcd3) {
  await root.user('root').create('rootpw');
  await root.user('root').addRole('root');
  await root.role('app').create();
  await root.role('app').grant({ permission: 'Readwrite', range: root.range({ prefix: 'app/' }) });
  await root.role('app').grant({ permission: 'Read', key: 'cfg' });
  await root.user('alice').create('apw');
  await root.user('alice').addRole('app');
  await root.put('cfg').value('1');
  await root.auth.authEnable();
}

describe.each<Target>(['meshraft', 'etcd'])('etcd Auth over gRPC (etcd3 npm client), against %s', (target) => {
  it('users and roles API: create, list, get roles and permissions, revoke, delete', async () => {
    const { root } = await start(target);
    await root.role('ops').create();
    await root.role('ops').grant({ permission: 'Read', range: root.range({ prefix: 'ops/' }) });
    await root.user('bob').create('pw');
    await root.user('bob').addRole('ops');
    expect((await root.getUsers()).map((u) => u.name)).toEqual(['bob']);
    expect((await root.getRoles()).map((r) => r.name)).toEqual(['ops']);
    expect((await root.user('bob').roles()).map((r) => r.name)).toEqual(['ops']);
    const perms = await root.role('ops').permissions();
    expect(perms.map((p) => [p.permission, p.range.start.toString(), p.range.end.toString()])).toEqual([['Read', 'ops/', 'ops0']]);
    await expect(root.user('bob').create('again')).rejects.toThrow(/user name already exists/);
    await expect(root.user('nobody').roles()).rejects.toThrow(/user name not found/);
    await expect(root.role('nope').permissions()).rejects.toThrow(/role name not found/);
    await root.role('ops').revoke({ permission: 'Read', range: root.range({ prefix: 'ops/' }) });
    expect(await root.role('ops').permissions()).toEqual([]);
    // Several permissions at once, a key, a range and from-a-key ('\0' end); sorted by key.
    await root.role('ops').grant([
      { permission: 'Write', key: 'ops-lock' },
      { permission: 'Readwrite', range: root.range({ start: 'b', end: 'c' }) },
      { permission: 'Read', range: root.range({ start: 'z', end: Buffer.from([0]) }) },
    ]);
    const listed = await root.role('ops').permissions();
    expect(listed.map((p) => [p.permission, p.range.start.toString(), p.range.end.toString('hex')])).toEqual([
      ['Readwrite', 'b', '63'],
      ['Write', 'ops-lock', ''],
      ['Read', 'z', '00'],
    ]);
    await root.user('bob').setPassword('pw2');
    await root.user('bob').removeRole('ops');
    expect(await root.user('bob').roles()).toEqual([]);
    await expect(root.user('bob').removeRole('ops')).rejects.toThrow(/role is not granted to the user/);
    await root.role('ops').delete();
    await expect(root.role('ops').delete()).rejects.toThrow(/role name not found/);
    expect(await root.getRoles()).toEqual([]);
    await root.user('bob').delete();
    expect(await root.getUsers()).toEqual([]);
  });

  it('AuthEnable needs root with the root role, with etcd errors', async () => {
    const { root } = await start(target);
    await expect(root.auth.authEnable()).rejects.toThrow(/root user does not exist/);
    await root.user('root').create('pw');
    await expect(root.auth.authEnable()).rejects.toThrow(/root user does not have root role/);
  });

  it('an authenticated client is allowed and denied per its roles; no token is "user name is empty"', async () => {
    const { root, connect, hosts } = await start(target);
    await enableAuth(root);
    const alice = connect({ auth: { username: 'alice', password: 'apw' } });
    await alice.put('app/x').value('1');
    expect(await alice.get('app/x').string()).toBe('1');
    expect(await alice.get('cfg').string()).toBe('1');
    await expect(alice.put('cfg').value('2')).rejects.toThrow(/permission denied/);
    await expect(alice.put('other').value('2')).rejects.toThrow(/permission denied/);
    await expect(alice.getAll().prefix('').keys()).rejects.toThrow(/permission denied/);
    await expect(alice.getUsers()).rejects.toThrow(/permission denied/);
    // A txn is denied for an op in the branch that does not run, too.
    await expect(alice.if('app/x', 'Value', '==', '1').then(alice.put('app/y').value('1')).else(alice.put('zzz').value('1')).commit()).rejects.toThrow(/permission denied/);
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('cfg') })).rejects.toThrow(/user name is empty/);
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('cfg') }, 'bogus.1')).rejects.toThrow(/invalid auth token/);
    const wrong = connect({ auth: { username: 'alice', password: 'nope' } });
    await expect(wrong.get('cfg').string()).rejects.toThrow(/authentication failed, invalid user ID or password/);
    const rootClient = connect({ auth: { username: 'root', password: 'rootpw' } });
    expect(await rootClient.getAll().prefix('').keys()).toEqual(['app/x', 'cfg']);
  });

  it('a watch the user may not read, without a token or with a dead one, is created and canceled with the auth error', async () => {
    const { root, hosts } = await start(target);
    await enableAuth(root);
    const { token } = await call(hosts, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' });
    const firstAnswer = async (key: string, token?: string): Promise<Msg> => {
      const c = etcdGrpcClient('Watch', hosts);
      raw.push(c);
      const md = new Metadata();
      if (token !== undefined) md.set('token', token);
      const stream = (c as unknown as { Watch(md: Metadata): NodeJS.ReadWriteStream & { write(m: Msg): void; cancel(): void } }).Watch(md);
      // Our own cancel() at the end ends the stream with CANCELLED.
      stream.on('error', () => {});
      const got = new Promise<Msg>((resolve) => stream.on('data', (m: Msg) => resolve(m)));
      stream.write({ create_request: { key: Buffer.from(key) } });
      const m = await got;
      stream.cancel();
      return m;
    };
    // The reason is the auth error's gRPC text, as etcd 3.4.23 sends it.
    const refused = (reason: string) => ({ created: true, canceled: true, cancel_reason: `rpc error: code = ${reason}` });
    expect(await firstAnswer('secret', String(token))).toMatchObject(refused('PermissionDenied desc = etcdserver: permission denied'));
    expect(await firstAnswer('cfg')).toMatchObject(refused('InvalidArgument desc = etcdserver: user name is empty'));
    expect(await firstAnswer('cfg', 'bogus.1')).toMatchObject(refused('Unauthenticated desc = etcdserver: invalid auth token'));
    expect(await firstAnswer('cfg', String(token))).toMatchObject({ created: true, canceled: false });
  });

  it('a password change voids the user\'s tokens; AuthDisable voids all; role changes apply at once', async () => {
    const { root, hosts } = await start(target);
    await enableAuth(root);
    const login = async (name: string, password: string) => String((await call(hosts, 'Auth', 'Authenticate', { name, password })).token);
    const rootToken = await login('root', 'rootpw');
    const aliceToken = await login('alice', 'apw');
    expect(aliceToken).toMatch(/^[a-zA-Z]{16}\.\d+$/);
    await call(hosts, 'KV', 'Put', { key: Buffer.from('app/1'), value: Buffer.from('v') }, aliceToken);
    // Revoking the role denies the next request with the same token.
    await call(hosts, 'Auth', 'UserRevokeRole', { name: 'alice', role: 'app' }, rootToken);
    await expect(call(hosts, 'KV', 'Put', { key: Buffer.from('app/1'), value: Buffer.from('v') }, aliceToken)).rejects.toThrow(/permission denied/);
    await call(hosts, 'Auth', 'UserGrantRole', { user: 'alice', role: 'app' }, rootToken);
    await call(hosts, 'KV', 'Put', { key: Buffer.from('app/1'), value: Buffer.from('v2') }, aliceToken);
    await call(hosts, 'Auth', 'UserChangePassword', { name: 'alice', password: 'new' }, rootToken);
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('app/1') }, aliceToken)).rejects.toThrow(/invalid auth token/);
    await expect(login('alice', 'apw')).rejects.toThrow(/authentication failed/);
    await login('alice', 'new');
    // Difference: AuthStatus is etcd 3.5's; etcd 3.4.23 does not know it.
    if (target === 'meshraft') expect((await call(hosts, 'Auth', 'AuthStatus', {}, rootToken)).enabled).toBe(true);
    else await expect(call(hosts, 'Auth', 'AuthStatus', {}, rootToken)).rejects.toThrow(/12 UNIMPLEMENTED: unknown method AuthStatus/);
    await call(hosts, 'Auth', 'AuthDisable', {}, rootToken);
    await expect(login('root', 'rootpw')).rejects.toThrow(/authentication is not enabled/);
    // With auth off every request is allowed again, with or without a token.
    await call(hosts, 'KV', 'Put', { key: Buffer.from('free'), value: Buffer.from('v') });
    await call(hosts, 'Auth', 'AuthEnable', {});
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('app/1') }, rootToken)).rejects.toThrow(/invalid auth token/);
  });

  it('the etcd3 client authenticates again by itself when its token is void', async () => {
    const { root, connect, hosts } = await start(target);
    await enableAuth(root);
    const alice = connect({ auth: { username: 'alice', password: 'apw' } });
    await alice.put('app/a').value('1');
    const rootToken = String((await call(hosts, 'Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token);
    // Disable and enable again: every token issued so far is void, alice's client's included.
    await call(hosts, 'Auth', 'AuthDisable', {}, rootToken);
    await call(hosts, 'Auth', 'AuthEnable', {});
    await alice.put('app/a').value('2');
    expect(await alice.get('app/a').string()).toBe('2');
  });

  it('Lock under auth: no token is refused; the holder key is written as the caller, checked against its roles', async () => {
    const { root, hosts } = await start(target);
    await enableAuth(root);
    const token = String((await call(hosts, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' })).token);
    const lease = String((await call(hosts, 'Lease', 'LeaseGrant', { TTL: 30 }, token)).ID);
    const noToken = await call(hosts, 'Lock', 'Lock', { name: Buffer.from('app/lock'), lease }).then(() => 'locked', (e: Error) => e.message);
    expect(noToken).toMatch(/user name is empty/);
    const held = await call(hosts, 'Lock', 'Lock', { name: Buffer.from('app/lock'), lease }, token);
    expect(Buffer.from(held.key as Buffer).toString()).toMatch(/^app\/lock\/[0-9a-f]+$/);
    await call(hosts, 'Lock', 'Unlock', { key: held.key }, token);
    const outside = await call(hosts, 'Lock', 'Lock', { name: Buffer.from('other'), lease }, token).then(() => 'locked', (e: Error) => e.message);
    expect(outside).toMatch(/permission denied/);
  });

  it('Lease under auth: grants and lists unchecked, revoke and put --lease need write on the attached keys', async () => {
    const { root, hosts } = await start(target);
    await enableAuth(root);
    const login = async (name: string, password: string) => String((await call(hosts, 'Auth', 'Authenticate', { name, password })).token);
    const [rootToken, aliceToken] = [await login('root', 'rootpw'), await login('alice', 'apw')];
    const grant = async (token?: string) => String((await call(hosts, 'Lease', 'LeaseGrant', { TTL: 100 }, token)).ID);
    // etcd 3.4 grants a lease to anyone; only a dead token fails.
    const shared = await grant();
    await expect(grant('bogus.1')).rejects.toThrow(/16 UNAUTHENTICATED: etcdserver: invalid auth token/);
    expect(((await call(hosts, 'Lease', 'LeaseLeases', {}, 'bogus.1')).leases as Msg[]).map((l) => String(l.ID))).toEqual([shared]);
    await call(hosts, 'KV', 'Put', { key: Buffer.from('app/x'), value: Buffer.from('1'), lease: shared }, aliceToken);
    await call(hosts, 'KV', 'Put', { key: Buffer.from('secret'), value: Buffer.from('s'), lease: shared }, rootToken);
    // alice may write app/x but not secret, so she may neither revoke the lease nor attach to it.
    await expect(call(hosts, 'Lease', 'LeaseRevoke', { ID: shared })).rejects.toThrow(/3 INVALID_ARGUMENT: etcdserver: user name is empty/);
    await expect(call(hosts, 'Lease', 'LeaseRevoke', { ID: shared }, aliceToken)).rejects.toThrow(/7 PERMISSION_DENIED: etcdserver: permission denied/);
    await expect(call(hosts, 'KV', 'Put', { key: Buffer.from('app/y'), value: Buffer.from('1'), lease: shared }, aliceToken)).rejects.toThrow(/7 PERMISSION_DENIED: etcdserver: permission denied/);
    // Difference: meshraft checks LeaseTimeToLive as etcd 3.4.26+ does (CVE-2023-32082: a user
    // with read on every attached key); etcd 3.4.23 answers anyone, key names included.
    if (target === 'meshraft') {
      await expect(call(hosts, 'Lease', 'LeaseTimeToLive', { ID: shared, keys: true })).rejects.toThrow(/user name is empty/);
      await expect(call(hosts, 'Lease', 'LeaseTimeToLive', { ID: shared, keys: true }, aliceToken)).rejects.toThrow(/7 PERMISSION_DENIED: etcdserver: permission denied/);
    } else {
      expect((await call(hosts, 'Lease', 'LeaseTimeToLive', { ID: shared, keys: true })).keys).toHaveLength(2);
    }
    expect((await call(hosts, 'Lease', 'LeaseTimeToLive', { ID: shared, keys: true }, rootToken)).keys).toHaveLength(2);
    await call(hosts, 'Lease', 'LeaseRevoke', { ID: shared }, rootToken);
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('secret') }, rootToken)).resolves.toMatchObject({ count: '0' });
    // A lease with no keys may be revoked by anyone; one with alice's keys by alice.
    await call(hosts, 'Lease', 'LeaseRevoke', { ID: await grant() });
    const own = await grant(aliceToken);
    await call(hosts, 'KV', 'Put', { key: Buffer.from('app/z'), value: Buffer.from('1'), lease: own }, aliceToken);
    await call(hosts, 'Lease', 'LeaseRevoke', { ID: own }, aliceToken);
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('app/z') }, aliceToken)).resolves.toMatchObject({ count: '0' });
  });

  it('Cluster and Maintenance under auth: the checks and the error codes of etcd 3.4.23', async () => {
    const { root, hosts } = await start(target);
    await enableAuth(root);
    const aliceToken = String((await call(hosts, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' })).token);
    // Unchecked, even with a dead token.
    await call(hosts, 'Cluster', 'MemberList', {}, 'bogus.1');
    await call(hosts, 'Maintenance', 'Status', {}, 'bogus.1');
    await call(hosts, 'Maintenance', 'Alarm', {});
    await expect(call(hosts, 'Maintenance', 'Alarm', {}, 'bogus.1')).rejects.toThrow(/2 UNKNOWN: auth: invalid auth token/);
    await call(hosts, 'KV', 'Compact', { revision: 2 });
    // Admin only; Maintenance passes the auth store's error through (code Unknown, "auth: ...").
    await expect(call(hosts, 'Maintenance', 'Hash', {})).rejects.toThrow(/2 UNKNOWN: auth: user name is empty/);
    await expect(call(hosts, 'Maintenance', 'HashKV', {}, aliceToken)).rejects.toThrow(/2 UNKNOWN: auth: permission denied/);
    await expect(call(hosts, 'Maintenance', 'Defragment', {}, aliceToken)).rejects.toThrow(/2 UNKNOWN: auth: permission denied/);
    await expect(call(hosts, 'Cluster', 'MemberAdd', { peerURLs: ['http://127.0.0.1:1'] })).rejects.toThrow(/3 INVALID_ARGUMENT: etcdserver: user name is empty/);
    await expect(call(hosts, 'Cluster', 'MemberRemove', { ID: 1 }, aliceToken)).rejects.toThrow(/7 PERMISSION_DENIED: etcdserver: permission denied/);
    await expect(call(hosts, 'Auth', 'UserList', {}, 'bogus.1')).rejects.toThrow(/16 UNAUTHENTICATED: etcdserver: invalid auth token/);
    // A user may read itself and its own roles without the root role.
    expect((await call(hosts, 'Auth', 'UserGet', { name: 'alice' }, aliceToken)).roles).toEqual(['app']);
    expect(((await call(hosts, 'Auth', 'RoleGet', { role: 'app' }, aliceToken)).perm as Msg[]).map((p) => p.permType)).toEqual(['READWRITE', 'READ']);
    await expect(call(hosts, 'Auth', 'UserList', {}, aliceToken)).rejects.toThrow(/7 PERMISSION_DENIED: etcdserver: permission denied/);
  });
});
