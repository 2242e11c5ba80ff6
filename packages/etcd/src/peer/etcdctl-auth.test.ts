/**
 * etcdctl 3.4 auth commands against a three-peer meshraft cluster and a real three-member etcd
 * 3.4.23, the same script on both: users, roles, permissions (read, write, readwrite; keys,
 * ranges, prefixes, from-key), grants and revokes, auth enable/disable, and the denials a user
 * without the permission gets. Outputs are compared exactly. The one difference, that a simple
 * token is known only to the member that issued it, is named in the last test (docs/etcd.md, Auth).
 */
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdGrpcClient } from '../grpc/proto.js';
import type { Msg } from '../grpc/messages.js';
import { errorLines, runEtcdctl, startComparedClusters, type ComparedClusters } from './__tests__/etcdctl-run.js';
import { killAll, tempDirs } from './__tests__/peer-process.js';

const dirs = tempDirs();
let clusters: ComparedClusters | undefined;
afterAll(async () => {
  await clusters?.etcd.kill();
  await killAll();
  await dirs.cleanup();
});

const ROOT = ['--user', 'root:rootpw'];
const ALICE = ['--user', 'alice:apw'];
const BOB = ['--user', 'bob:bpw'];

/** Each step: etcdctl's arguments and its stdin; every step's output must be the same from both. */
const SCRIPT: ReadonlyArray<readonly [readonly string[], string?]> = [
  [['user', 'add', 'root:rootpw']],
  [['user', 'add', 'alice:apw']],
  [['user', 'add', 'bob', '--interactive=false'], 'bpw\n'],
  [['user', 'add', 'alice:again']],
  [['user', 'list']],
  [['user', 'get', 'alice']],
  [['user', 'get', 'nobody']],
  [['role', 'add', 'app']],
  [['role', 'add', 'ro']],
  [['role', 'add', 'app']],
  [['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix']],
  [['role', 'grant-permission', 'app', 'read', 'cfg']],
  [['role', 'grant-permission', 'app', 'write', 'logs/a', 'logs/m']],
  [['role', 'grant-permission', 'ro', 'read', 'pub', '--from-key']],
  [['role', 'grant-permission', 'nope', 'read', 'x']],
  [['role', 'get', 'app']],
  [['role', 'get', 'ro']],
  [['role', 'list']],
  [['role', 'revoke-permission', 'app', 'logs/a', 'logs/m']],
  [['role', 'revoke-permission', 'app', 'cfg', 'cfh']],
  [['role', 'revoke-permission', 'app', 'logs/a', 'logs/m']],
  [['role', 'get', 'app']],
  [['user', 'grant-role', 'alice', 'app']],
  [['user', 'grant-role', 'bob', 'ro']],
  [['user', 'grant-role', 'bob', 'missing']],
  [['user', 'get', 'alice', '--detail']],
  [['user', 'get', 'bob']],
  [['put', 'cfg', '1']],
  [['put', 'pub/1', 'p']],
  [['put', 'secret', 's']],
  // etcdctl's `auth enable` adds the root role and grants it to root itself when it is missing.
  [['auth', 'enable']],
  [['user', 'get', 'root']],
  [['auth', 'enable']],
  // Denials and allowances per user.
  [['put', 'cfg', '2']],
  [['get', 'cfg']],
  [[...ALICE, 'put', 'app/x', '1']],
  [[...ALICE, 'get', 'app/', '--prefix']],
  [[...ALICE, 'get', 'cfg']],
  [[...ALICE, 'put', 'cfg', '2']],
  [[...ALICE, 'get', 'pub/1']],
  [[...ALICE, 'get', 'secret']],
  [[...ALICE, 'put', 'logs/b', 'x']],
  [[...ALICE, 'get', '', '--prefix']],
  [[...ALICE, 'del', 'app/x']],
  [[...ALICE, 'txn'], 'value("cfg") = "1"\n\nput app/t 1\n\nput cfg 9\n\n'],
  [[...ALICE, 'user', 'list']],
  [[...ALICE, 'user', 'get', 'alice']],
  [[...ALICE, 'role', 'add', 'mine']],
  [[...BOB, 'get', 'pub/1']],
  [[...BOB, 'get', 'zzz']],
  [[...BOB, 'get', 'pub', '--from-key', '--keys-only']],
  [[...BOB, 'get', 'a', '--from-key']],
  [[...BOB, 'put', 'pub/2', 'x']],
  [[...BOB, 'get', 'cfg']],
  [['--user', 'alice:wrong', 'get', 'cfg']],
  [['--user', 'carol:x', 'get', 'cfg']],
  [[...ROOT, 'get', '', '--prefix']],
  [[...ROOT, 'user', 'list']],
  // A password change: the old one fails, the new one works.
  [[...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], 'newpw\n'],
  [[...ALICE, 'get', 'cfg']],
  [['--user', 'alice:newpw', 'get', 'cfg']],
  // Role changes take effect at once.
  [[...ROOT, 'role', 'revoke-permission', 'app', 'cfg']],
  [['--user', 'alice:newpw', 'put', 'app/w', '1']],
  [[...ROOT, 'role', 'revoke-permission', 'app', 'app/', '--prefix']],
  [['--user', 'alice:newpw', 'put', 'app/w', '2']],
  [[...ROOT, 'role', 'get', 'app']],
  [['--user', 'alice:newpw', 'get', 'cfg']],
  [[...ROOT, 'user', 'revoke-role', 'alice', 'app']],
  [[...ROOT, 'user', 'revoke-role', 'alice', 'app']],
  [['--user', 'alice:newpw', 'get', 'app/t']],
  [[...ROOT, 'user', 'revoke-role', 'root', 'root']],
  [[...ROOT, 'role', 'delete', 'ro']],
  [[...ROOT, 'role', 'delete', 'root']],
  [[...ROOT, 'user', 'delete', 'bob']],
  [[...BOB, 'get', 'pub/1']],
  [[...ROOT, 'user', 'list']],
  [[...ROOT, 'role', 'list']],
  [[...ROOT, 'user', 'get', 'root']],
  [[...ROOT, 'auth', 'disable']],
  [['put', 'cfg', '3']],
  [['get', 'cfg', '--print-value-only']],
  [['auth', 'disable']],
  [['user', 'list']],
];

/** etcdctl's outputs of one step, for comparison. */
const outcome = (args: readonly string[], r: { out: string; err: string; code: number | null }) => [args.join(' '), r.out, errorLines(r.err), r.code];

describe('etcdctl 3.4 auth against meshraft and a three-member etcd', () => {
  // One endpoint each: a simple token is known only to the member that issued it (last test).
  const ours = () => clusters!.peers[1]!.url;
  const theirs = () => clusters!.etcd.urls[1]!;

  beforeAll(async () => {
    clusters = await startComparedClusters('ctl-auth', () => dirs.make());
  }, 120_000);

  it('user, role, permission and auth commands, and the denials: the same output', async () => {
    for (const [args, input] of SCRIPT) {
      const t = await runEtcdctl(theirs(), args, input);
      const o = await runEtcdctl(ours(), args, input);
      expect(outcome(args, o)).toEqual(outcome(args, t));
    }
  }, 240_000);

  it('difference: a token from one meshraft member is unknown to another; etcd replicates simple tokens', async () => {
    const grpcAddress = (url: string) => url.replace('http://', '');
    const call = (url: string, service: 'Auth' | 'KV', method: string, req: Msg, token?: string) =>
      new Promise<Msg>((resolve, reject) => {
        const c = etcdGrpcClient(service, grpcAddress(url));
        const md = new Metadata();
        if (token !== undefined) md.set('token', token);
        (c as unknown as Record<string, (r: Msg, m: Metadata, cb: (e: Error | null, out: Msg) => void) => void>)[method]!(req, md, (e, out) => {
          c.close();
          if (e) reject(e);
          else resolve(out);
        });
      });
    const tokenAt = async (url: string) => String((await call(url, 'Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token);
    const [ours, theirs] = [clusters!.peers.map((p) => p.url), clusters!.etcd.urls];
    for (const urls of [ours, theirs]) {
      const t = await runEtcdctl(urls[1]!, ['user', 'grant-role', 'root', 'root']);
      expect([t.out, errorLines(t.err)]).toEqual(['Role root is granted to user root\n', []]);
      expect((await runEtcdctl(urls[1]!, ['auth', 'enable'])).out).toBe('Authentication Enabled\n');
    }
    // Issued by member 0, used on member 2.
    const mine = await tokenAt(ours[0]!);
    await expect(call(ours[2]!, 'KV', 'Range', { key: Buffer.from('cfg') }, mine)).rejects.toThrow(/16 UNAUTHENTICATED: etcdserver: invalid auth token/);
    await expect(call(ours[0]!, 'KV', 'Range', { key: Buffer.from('cfg') }, mine)).resolves.toMatchObject({ count: '1' });
    const theirsToken = await tokenAt(theirs[0]!);
    await expect(call(theirs[2]!, 'KV', 'Range', { key: Buffer.from('cfg') }, theirsToken)).resolves.toMatchObject({ count: '1' });
    // etcdctl with all three endpoints still works: it authenticates and sends on one connection.
    for (let i = 0; i < 3; i++) {
      const [o, t] = [await runEtcdctl(ours.join(','), [...ROOT, 'get', 'cfg']), await runEtcdctl(theirs.join(','), [...ROOT, 'get', 'cfg'])];
      expect(outcome(['get', 'cfg'], o)).toEqual(outcome(['get', 'cfg'], t));
    }
    for (const urls of [ours, theirs]) expect((await runEtcdctl(urls[1]!, [...ROOT, 'auth', 'disable'])).out).toBe('Authentication Disabled\n');
  });

  it('users, roles, permissions and the enabled flag come back with a restarted member', async () => {
    const before = await runEtcdctl(ours(), ['auth', 'enable']);
    expect(before.out).toBe('Authentication Enabled\n');
    const peer = await clusters!.restart(1);
    const run = (args: readonly string[]) => eventuallyRun(peer.url, args);
    expect(await run([...ROOT, 'user', 'list'])).toEqual(['alice\nroot\n', [], 0]);
    expect(await run([...ROOT, 'role', 'get', 'app'])).toEqual(['Role app\nKV Read:\nKV Write:\n', [], 0]);
    expect(await run(['get', 'cfg'])).toEqual(['', ['Error: etcdserver: user name is empty'], 1]);
    expect(await run(['--user', 'alice:newpw', 'get', 'cfg'])).toEqual(['', ['Error: etcdserver: permission denied'], 1]);
    expect(await run([...ROOT, 'auth', 'disable'])).toEqual(['Authentication Disabled\n', [], 0]);
  }, 60_000);
});

/** etcdctl's output once the member answers (it may still be catching up after its restart). */
async function eventuallyRun(url: string, args: readonly string[]): Promise<unknown[]> {
  for (let i = 0; ; i++) {
    const r = await runEtcdctl(url, args);
    const got = [r.out, errorLines(r.err), r.code];
    const unavailable = errorLines(r.err).some((l) => /context deadline exceeded|no leader|connection refused|unavailable/i.test(l));
    if (!unavailable || i >= 20) return got;
    await new Promise((res) => setTimeout(res, 500));
  }
}
