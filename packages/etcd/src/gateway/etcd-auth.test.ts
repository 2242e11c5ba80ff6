/**
 * The JSON gateway's `/v3/auth/*` routes, and every other route while auth is enabled (the
 * `Authorization` header as the token), against a real etcd 3.4.23 member (/usr/bin/etcd) on
 * loopback: each test starts a fresh pair of servers, runs one request script on both and
 * compares the transcripts (status and masked JSON of each answer). Masked: tokens, lease ids,
 * header ids, revisions (from the script's start). Named differences are in their own test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { startEtcdCluster, type EtcdCluster } from '../peer/__tests__/etcd-cluster.js';
import { b64, eventually, tempDirs } from '../peer/__tests__/peer-process.js';
import { openStream, post, transcriptOf, type Run, type Script } from './__tests__/json-script.js';

const dirs = tempDirs();
let server: EtcdServer | undefined;
let etcd: EtcdCluster | undefined;
afterEach(async () => {
  await server?.close();
  await etcd?.kill();
  server = etcd = undefined;
  await dirs.cleanup();
});

/** A fresh meshraft endpoint and a fresh one-member etcd. */
async function pair(): Promise<{ meshraft: string; etcd: string }> {
  server = await serveEtcd(createLocalKvClient({ clusterId: 'c', memberId: 'm1' }), { host: '127.0.0.1', port: 0 });
  etcd = await startEtcdCluster(await dirs.make(), 1);
  const theirs = etcd.urls[0]!;
  await eventually('etcd up', async () => ((await post(theirs, '/v3/maintenance/status', '{}').catch(() => ({ status: 0 }))).status === 200 ? true : undefined));
  return { meshraft: server.url, etcd: theirs };
}

async function both(script: Script): Promise<{ meshraft: unknown[]; etcd: unknown[] }> {
  const p = await pair();
  return { meshraft: await transcriptOf(p.meshraft, 0, script), etcd: await transcriptOf(p.etcd, 0, script) };
}

const APP = `"key":"${b64('app/')}","range_end":"${b64('app0')}"`;
const tokenOf = async (base: string, name: string, password: string) =>
  (JSON.parse((await post(base, '/v3/auth/authenticate', JSON.stringify({ name, password }))).text) as { token: string }).token;

/** root:rootpw (role root) and alice:apw (role app: readwrite on app/, read on cfg), then auth on. */
async function setUp({ call }: Run): Promise<void> {
  await call('/v3/auth/user/add', '{"name":"root","password":"rootpw"}');
  await call('/v3/auth/user/grant', '{"user":"root","role":"root"}');
  await call('/v3/auth/role/add', '{"name":"app"}');
  await call('/v3/auth/role/grant', `{"name":"app","perm":{"permType":"READWRITE",${APP}}}`);
  await call('/v3/auth/role/grant', `{"name":"app","perm":{"permType":1,"key":"${b64('cfg')}"}}`);
  await call('/v3/auth/user/add', '{"name":"alice","password":"apw"}');
  await call('/v3/auth/user/grant', '{"user":"alice","role":"app"}');
  await call('/v3/auth/enable', '{}');
}

describe('JSON gateway auth against etcd 3.4', () => {
  it('users, roles and permissions; enable; tokens from authenticate; checks on KV, lease, lock, election; disable', async () => {
    const t = await both(async (r) => {
      const { call, base } = r;
      await call('/v3/auth/authenticate', '{"name":"root","password":"x"}');
      await call('/v3/auth/enable', '{}');
      await call('/v3/auth/user/add', '{"name":"","password":"x"}');
      await call('/v3/auth/role/add', '{"name":""}');
      await setUp(r);
      await call('/v3/auth/user/add', '{"name":"alice","password":"apw"}');
      await call('/v3/auth/role/grant', '{"name":"app","perm":{"permType":"BAD","key":"YQ=="}}');
      // No token, a wrong one, and the token with a scheme in front: etcd reads the header as is.
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`);
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, 'bogus.1');
      await call('/v3/auth/authenticate', '{"name":"root","password":"wrong"}');
      await call('/v3/auth/authenticate', '{"name":"nobody","password":"x"}');
      await call('/v3/auth/authenticate', '{"name":"root","password":"rootpw"}');
      const root = await tokenOf(base, 'root', 'rootpw');
      const alice = await tokenOf(base, 'alice', 'apw');
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, `Bearer ${alice}`);
      await call('/v3/auth/user/get', '{"name":"alice"}', root);
      await call('/v3/auth/role/get', '{"role":"app"}', root);
      await call('/v3/auth/user/list', '{}', root);
      await call('/v3/auth/role/list', '{}', root);
      // alice: what her role allows, and what it does not.
      await call('/v3/kv/put', `{"key":"${b64('app/x')}","value":"${b64('1')}"}`, alice);
      await call('/v3/kv/put', `{"key":"${b64('other')}","value":"${b64('1')}"}`, alice);
      await call('/v3/kv/put', `{"key":"${b64('cfg')}","value":"${b64('1')}"}`, alice);
      await call('/v3/kv/range', `{"key":"${b64('cfg')}"}`, alice);
      await call('/v3/kv/range', `{${APP}}`, alice);
      await call('/v3/kv/range', `{"key":"${b64('a')}","range_end":"${b64('b')}"}`, alice);
      await call('/v3/kv/txn', `{"compare":[{"key":"${b64('app/x')}","target":"VERSION","version":"1"}],"success":[{"request_put":{"key":"${b64('app/y')}","value":"${b64('2')}"}}]}`, alice);
      await call('/v3/kv/txn', `{"success":[{"request_put":{"key":"${b64('app/y')}"}}],"failure":[{"request_delete_range":{"key":"${b64('other')}"}}]}`, alice);
      await call('/v3/kv/deleterange', `{"key":"${b64('app/y')}","prev_kv":true}`, alice);
      await call('/v3/auth/user/list', '{}', alice);
      await call('/v3/auth/user/get', '{"name":"alice"}', alice);
      await call('/v3/auth/user/get', '{"name":"root"}', alice);
      await call('/v3/auth/role/get', '{"role":"app"}', alice);
      await call('/v3/auth/role/get', '{"role":"root"}', alice);
      // Leases: granted to anyone with a live token; keys on them as alice's puts.
      const lease = (JSON.parse((await post(base, '/v3/lease/grant', '{"TTL":60}', alice)).text) as { ID: string }).ID;
      r.m.value(lease, 'ID');
      await call('/v3/kv/put', `{"key":"${b64('app/l')}","value":"${b64('v')}","lease":"${lease}"}`, alice);
      await call('/v3/lease/timetolive', `{"ID":"${lease}","keys":true}`, alice);
      await call('/v3/lease/leases', '{}');
      await call('/v3/lease/keepalive', `{"ID":"${lease}"}`);
      // Locks and elections write their keys as the caller.
      await call('/v3/lock/lock', `{"name":"${b64('app/lk')}","lease":"${lease}"}`);
      await call('/v3/lock/lock', `{"name":"${b64('app/lk')}","lease":"${lease}"}`, alice);
      await call('/v3/lock/lock', `{"name":"${b64('zz')}","lease":"${lease}"}`, alice);
      await call('/v3/election/campaign', `{"name":"${b64('app/el')}","value":"${b64('me')}","lease":"${lease}"}`, alice);
      await call('/v3/election/leader', `{"name":"${b64('app/el')}"}`, alice);
      await call('/v3/election/leader', `{"name":"${b64('app/el')}"}`);
      await call('/v3/lease/revoke', `{"ID":"${lease}"}`);
      await call('/v3/lease/revoke', `{"ID":"${lease}"}`, alice);
      // Unchecked on etcd 3.4: status and the member list (no token read), a lease grant without one.
      const status = await post(base, '/v3/maintenance/status', '{}', 'bogus.1');
      r.step('status (its fields differ, docs/etcd.md)', [status.status, Object.keys(JSON.parse(status.text) as object).sort()]);
      await call('/v3/lease/grant', '{"TTL":60,"ID":77}');
      // A password change voids alice's token; revoked roles and permissions apply at once.
      await call('/v3/auth/user/changepw', '{"name":"alice","password":"new"}', root);
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, alice);
      const alice2 = await tokenOf(base, 'alice', 'new');
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, alice2);
      await call('/v3/auth/role/revoke', `{"role":"app",${APP}}`, root);
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, alice2);
      await call('/v3/auth/role/revoke', `{"role":"app",${APP}}`, root);
      await call('/v3/auth/user/revoke', '{"name":"alice","role":"app"}', root);
      await call('/v3/auth/user/revoke', '{"name":"alice","role":"app"}', root);
      await call('/v3/auth/user/revoke', '{"name":"root","role":"root"}', root);
      await call('/v3/kv/range', `{"key":"${b64('cfg')}"}`, alice2);
      await call('/v3/auth/role/delete', '{"role":"app"}', root);
      await call('/v3/auth/role/delete', '{"role":"app"}', root);
      await call('/v3/auth/role/delete', '{"role":"root"}', root);
      await call('/v3/auth/user/delete', '{"name":"alice"}', root);
      await call('/v3/auth/user/delete', '{"name":"alice"}', root);
      await call('/v3/auth/user/delete', '{"name":"root"}', root);
      await call('/v3/auth/disable', '{}');
      await call('/v3/auth/disable', '{}', root);
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`);
      await call('/v3/kv/range', `{"key":"${b64('app/x')}"}`, root);
      await call('/v3/auth/authenticate', '{"name":"root","password":"rootpw"}');
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('watch under auth: a permitted watch streams events; others are created and canceled with the auth error', async () => {
    const t = await both(async (r) => {
      const { base, step, m, call } = r;
      await setUp(r);
      const alice = await tokenOf(base, 'alice', 'apw');
      const w = openStream(base, '/v3/watch', `{"create_request":{"key":"${b64('app/w')}"}}`, alice);
      step('status', await w.status);
      step('created', m.line(await w.next()));
      await call('/v3/kv/put', `{"key":"${b64('app/w')}","value":"${b64('1')}"}`, alice);
      step('event', m.line(await w.next()));
      w.close();
      for (const [key, token] of [['other', alice], ['app/w', undefined], ['app/w', 'bogus.1']] as const) {
        // The id asked for does not matter: etcd 3.4.23 answers -1.
        const refused = openStream(base, '/v3/watch', `{"create_request":{"key":"${b64(key)}","watch_id":5}}`, token);
        step(`refused ${key} ${token === alice ? 'alice' : String(token)}`, [await refused.status, m.line(await refused.next())]);
        refused.close();
      }
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('elections under auth: Leader and Observe need read on NAME/ (a refused Observe is an empty 200 stream)', async () => {
    const t = await both(async (r) => {
      const { base, step, m, call } = r;
      await setUp(r);
      const alice = await tokenOf(base, 'alice', 'apw');
      await call('/v3/auth/user/add', '{"name":"bob","password":"bpw"}', await tokenOf(base, 'root', 'rootpw'));
      const bob = await tokenOf(base, 'bob', 'bpw');
      const lease = (JSON.parse((await post(base, '/v3/lease/grant', '{"TTL":60}', alice)).text) as { ID: string }).ID;
      m.value(lease, 'ID');
      await call('/v3/election/campaign', `{"name":"${b64('app/e')}","value":"${b64('v')}","lease":"${lease}"}`, alice);
      await call('/v3/election/leader', `{"name":"${b64('app/e')}"}`, bob);
      await call('/v3/election/leader', `{"name":"${b64('app/e')}"}`, alice);
      for (const [who, token] of [['alice', alice], ['bob', bob], ['nobody', undefined]] as const) {
        const o = openStream(base, '/v3/election/observe', `{"name":"${b64('app/e')}"}`, token);
        step(`observe as ${who}`, [await o.status, m.line(await o.next())]);
        o.close();
      }
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('auth never enabled: a request sent with a token has it read, and refused as dead (keep-alives read none)', async () => {
    const t = await both(async (r) => {
      const { base, step, m, call } = r;
      const token = 'x.1';
      const w = openStream(base, '/v3/watch', `{"create_request":{"key":"${b64('a')}"}}`, token);
      step('watch', [await w.status, m.line(await w.next())]);
      w.close();
      await call('/v3/kv/range', `{"key":"${b64('a')}"}`, token);
      await call('/v3/kv/put', `{"key":"${b64('a')}","value":"${b64('1')}"}`, token);
      await call('/v3/lease/grant', '{"TTL":30}', token);
      await call('/v3/lease/grant', '{"TTL":30,"ID":5}');
      await call('/v3/lease/keepalive', '{"ID":5}', token);
      await call('/v3/lock/lock', `{"name":"${b64('a')}"}`, token);
      await call('/v3/election/leader', `{"name":"${b64('a')}"}`, token);
      await call('/v3/auth/user/list', '{}', token);
      await call('/v3/kv/range', `{"key":"${b64('a')}"}`);
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('difference: /v3/auth/status is served (etcd 3.5\'s route; etcd 3.4.23 answers 404)', async () => {
    const p = await pair();
    const ours = await post(p.meshraft, '/v3/auth/status', '{}');
    expect([ours.status, (JSON.parse(ours.text) as Record<string, unknown>).enabled]).toEqual([200, undefined]);
    expect((await post(p.etcd, '/v3/auth/status', '{}')).status).toBe(404);
  });
});
