/**
 * etcd's Auth service and the per-request checks, through the `etcd3` npm client over real gRPC,
 * against serveEtcd over a local KV state machine: users and roles API, auth enable, an
 * authenticated client with `auth: {username, password}`, denials with etcd's errors, token
 * invalidation on password change and on AuthDisable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Etcd3, type IOptions } from 'etcd3';
import { credentials, Metadata, type Client } from '@grpc/grpc-js';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { etcdGrpcClient } from './proto.js';
import type { Msg } from './messages.js';

let server: EtcdServer | undefined;
const clients: Etcd3[] = [];
const raw: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of raw.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start() {
  const kv = createLocalKvClient({ clusterId: 'c', memberId: 'm1' });
  server = await serveEtcd(kv, { host: '127.0.0.1', port: 0 });
  const hosts = server.url.replace('http://', '');
  const connect = (extra: Partial<IOptions> = {}) => {
    const c = new Etcd3({ hosts, dialTimeout: 10_000, ...extra });
    clients.push(c);
    return c;
  };
  return { kv, hosts, connect, root: connect() };
}

/** A unary call with the loader's messages and optional token metadata (no retries, no re-auth). */
function call(hosts: string, service: 'KV' | 'Auth' | 'Maintenance' | 'Cluster', method: string, req: Msg, token?: string): Promise<Msg> {
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

describe('etcd Auth over gRPC (etcd3 npm client)', () => {
  it('users and roles API: create, list, get roles and permissions, revoke, delete', async () => {
    const { root } = await start();
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
    await root.user('bob').removeRole('ops');
    await root.user('bob').delete();
    expect(await root.getUsers()).toEqual([]);
  });

  it('AuthEnable needs root with the root role, with etcd errors', async () => {
    const { root } = await start();
    await expect(root.auth.authEnable()).rejects.toThrow(/root user does not exist/);
    await root.user('root').create('pw');
    await expect(root.auth.authEnable()).rejects.toThrow(/root user does not have root role/);
  });

  it('an authenticated client is allowed and denied per its roles; no token is "user name is empty"', async () => {
    const { root, connect, hosts } = await start();
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

  it('a watch on a range the user may not read is canceled with permission denied', async () => {
    const { root, hosts } = await start();
    await enableAuth(root);
    const { token } = await call(hosts, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' });
    const c = etcdGrpcClient('Watch', hosts);
    raw.push(c);
    const md = new Metadata();
    md.set('token', String(token));
    const stream = (c as unknown as { Watch(md: Metadata): NodeJS.ReadWriteStream & { write(m: Msg): void; cancel(): void } }).Watch(md);
    // Our own cancel() at the end ends the stream with CANCELLED.
    stream.on('error', () => {});
    const got = new Promise<Msg>((resolve) => stream.on('data', (m: Msg) => resolve(m)));
    stream.write({ create_request: { key: Buffer.from('secret') } });
    expect(await got).toMatchObject({ created: true, canceled: true, cancel_reason: 'rpc error: code = PermissionDenied desc = etcdserver: permission denied' });
    stream.cancel();
  });

  it('a password change voids the user\'s tokens; AuthDisable voids all; role changes apply at once', async () => {
    const { root, hosts } = await start();
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
    const status = await call(hosts, 'Auth', 'AuthStatus', {}, rootToken);
    expect(status.enabled).toBe(true);
    await call(hosts, 'Auth', 'AuthDisable', {}, rootToken);
    await expect(login('root', 'rootpw')).rejects.toThrow(/authentication is not enabled/);
    // With auth off every request is allowed again, with or without a token.
    await call(hosts, 'KV', 'Put', { key: Buffer.from('free'), value: Buffer.from('v') });
    await call(hosts, 'Auth', 'AuthEnable', {});
    await expect(call(hosts, 'KV', 'Range', { key: Buffer.from('app/1') }, rootToken)).rejects.toThrow(/invalid auth token/);
  });
});
