/**
 * etcdctl 3.4 (Debian's etcd-client) against a three-peer meshraft cluster and against a real
 * three-member etcd (Debian's etcd-server) started here on loopback, running the same script.
 * Outputs that must match are compared exactly; where meshraft and etcd differ, the difference is
 * named (member ids, names and URLs; version, db size and raft indexes in status) and
 * docs/etcd.md explains it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from './__tests__/etcd-cluster.js';
import { errorLines, runEtcdctl, type EtcdctlRun } from './__tests__/etcdctl-run.js';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
let etcd: EtcdCluster | undefined;
afterAll(async () => {
  await etcd?.kill();
  await killAll();
  await dirs.cleanup();
});

type Run = EtcdctlRun;
const etcdctl = runEtcdctl;

/** `etcdctl watch` runs until killed: collect stdout until `lines` lines arrived. */
function watchLines(endpoint: string, args: readonly string[], lines: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', ['--endpoints', endpoint, 'watch', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`watch printed only:\n${out}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > lines) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(out.split('\n').slice(0, lines).join('\n'));
      }
    });
  });
}

/** The KV part of the script: each step's output must be the same from both servers. */
const SCRIPT: ReadonlyArray<readonly [readonly string[], string?]> = [
  [['put', 'foo', 'bar']],
  [['put', 'foo/1', 'a']],
  [['put', 'foo/2', 'b']],
  [['put', 'foo/3', 'c']],
  [['put', 'foo', 'baz', '--prev-kv']],
  [['get', 'foo', '--prefix']],
  [['get', 'foo', '--prefix', '--limit=2']],
  [['get', 'foo', '--prefix', '--sort-by=KEY', '--order=DESCEND']],
  [['get', 'foo', '--prefix', '--sort-by=MODIFY', '--order=ASCEND', '--keys-only']],
  [['get', 'foo', '--prefix', '--count-only', '-w', 'fields']],
  [['get', 'foo', '--rev=2']],
  [['get', 'foo/', '--from-key']],
  [['del', 'foo/1']],
  [['del', 'foo/', '--prefix', '--prev-kv']],
  [['del', 'nothing']],
  [['txn'], 'value("foo") = "baz"\n\nput foo qux\nget foo/2\n\nput foo nope\n\n'],
  [['txn'], 'mod("foo") < "3"\n\nput x 1\n\nput y 2\n\n'],
  [['get', 'foo', '--rev=9', '--print-value-only']],
  [['compaction', '4']],
  [['get', 'foo', '--rev=3']],
  [['get', 'foo', '--rev=4']],
  [['compaction', '4']],
  [['get', 'foo', '--rev=99']],
];

const errors = errorLines;

/** Lines that carry ids, times or addresses, which differ between any two clusters. */
function normalize(s: string): string {
  return s.replace(/took = [0-9.]+[µm]?s/g, 'took = T').replace(/127\.0\.0\.1:\d+/g, 'HOST');
}

/** One `endpoint status` line: endpoint, id, version, db size, leader, learner, term, index, applied, errors. */
interface StatusLine {
  readonly endpoint: string;
  readonly id: string;
  readonly leader: boolean;
  readonly fields: readonly string[];
}

function statusLines(out: string): StatusLine[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const fields = l.split(', ');
      return { endpoint: fields[0]!, id: fields[1]!, leader: fields[4] === 'true', fields };
    });
}

/** What must agree between two clusters' `endpoint status`: per line (sorted: who leads differs), all but ids, version, size and raft counters. */
function statusShape(out: string): string[] {
  return statusLines(out).map(({ fields }) =>
    [fields.length, /^[0-9a-f]+$/.test(fields[1]!), /^3\.\d+\.\d+$/.test(fields[2]!), /^\d+(\.\d+)? [kM]?B$/.test(fields[3]!), fields[4], fields[5], ...fields.slice(6, 9).map((f) => /^\d+$/.test(f)), fields[9]].join(' '),
  ).sort();
}

/** The keys of a JSON value, recursively (arrays by their first element): the shape of `-w json`. */
function keyShape(v: unknown): unknown {
  if (Array.isArray(v)) return [keyShape(v[0])];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keyShape(x)]).sort());
  return typeof v;
}

describe('etcdctl 3.4 against meshraft and a three-member etcd', () => {
  let peers: PeerProcess[] = [];
  let reference: readonly string[] = [];
  const ours = () => peers.map((p) => p.url).join(',');
  const theirs = () => reference.join(',');

  beforeAll(async () => {
    // The real etcd: three members on loopback ports, started beside the meshraft peers.
    etcd = await startEtcdCluster(await dirs.make());
    reference = etcd.urls;
    // Three meshraft peers: a founds the cluster, b and c join and are promoted.
    const { url: signaling } = await startSignaling();
    const ids = ['a', 'b', 'c'];
    peers = await Promise.all(
      ids.map(async (id) =>
        startPeer(['--cluster', 'ctl', '--signaling', signaling, '--data', await dirs.make(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])]),
      ),
    );
    // Three voters that have published their client URLs (as etcd's helper waits for every one).
    await eventually('three meshraft voters', async () => {
      const members = (await post(peers[0]!.url, '/v3/cluster/member/list')).json.members as { isLearner?: boolean; clientURLs?: string[] }[] | undefined;
      return members?.length === 3 && members.every((m) => !m.isLearner && m.clientURLs?.length) ? true : undefined;
    });
    await eventually('etcd up', async () => ((await etcdctl(theirs(), ['endpoint', 'health', '--cluster'])).code === 0 ? true : undefined));
  }, 120_000);

  it('put, get (prefix, limit, sort, keys-only, count, --rev, --from-key), del, txn, compaction: the same output', async () => {
    for (const [args, input] of SCRIPT) {
      const t = await etcdctl(theirs(), args, input);
      // Through every member in turn: followers forward writes and serve linearizable reads.
      const o = await etcdctl(ours(), args, input);
      expect([args, normalize(o.out), errors(o.err), o.code]).toEqual([args, normalize(t.out), errors(t.err), t.code]);
    }
  });

  it('watch --rev replays history, and live events follow: the same output', async () => {
    const t = watchLines(reference[1]!, ['foo', '--prefix', '--rev=5', '--prev-kv'], 9);
    const o = watchLines(peers[1]!.url, ['foo', '--prefix', '--rev=5', '--prev-kv'], 9);
    await new Promise((r) => setTimeout(r, 1000));
    await etcdctl(reference[2]!, ['put', 'foo/live', 'x']);
    await etcdctl(peers[2]!.url, ['put', 'foo/live', 'x']);
    expect(await o).toEqual(await t);
  });

  it('endpoint health, with and without --cluster: the same output', async () => {
    const lines = (r: Run) => normalize(r.out + r.err).trim().split('\n').sort();
    const healthy = 'http://HOST is healthy: successfully committed proposal: took = T';
    const [t, o] = [await etcdctl(theirs(), ['endpoint', 'health']), await etcdctl(ours(), ['endpoint', 'health'])];
    expect([o.code, lines(o)]).toEqual([t.code, lines(t)]);
    expect(lines(o)).toEqual([healthy, healthy, healthy]);
    // --cluster takes the endpoints from MemberList's client URLs, which every member publishes.
    const [tc, oc] = [await etcdctl(theirs(), ['endpoint', 'health', '--cluster']), await etcdctl(peers[0]!.url, ['endpoint', 'health', '--cluster'])];
    expect([oc.code, lines(oc)]).toEqual([tc.code, lines(tc)]);
    expect(lines(oc)).toEqual([healthy, healthy, healthy]);
  });

  it('endpoint status (simple, table, json): the same shape; ids, version, db size and raft counters differ', async () => {
    const [t, o] = [await etcdctl(theirs(), ['endpoint', 'status']), await etcdctl(ours(), ['endpoint', 'status'])];
    expect([o.code, errors(o.err)]).toEqual([0, []]);
    // Per endpoint: one leader, no learners, no errors on both.
    expect(statusShape(o.out)).toEqual(statusShape(t.out));
    expect(statusLines(o.out).filter((l) => l.leader)).toHaveLength(1);
    // Differences: ids are a hash of the node id (etcd: random); version is 3.5.0 (the API meshraft
    // follows; etcd here is 3.4.23); db size is meshraft's snapshot size, not a bbolt file; raft
    // term and indexes count meshraft's log (config entries included).
    expect(statusLines(o.out).map((l) => l.fields[2])).toEqual(['3.5.0', '3.5.0', '3.5.0']);

    const table = (r: Run) => r.out.split('\n')[1];
    const [tt, ot] = [await etcdctl(theirs(), ['endpoint', 'status', '-w', 'table']), await etcdctl(ours(), ['endpoint', 'status', '-w', 'table'])];
    expect(table(ot)).toEqual(table(tt)); // the column header row
    expect(ot.out.trim().split('\n')).toHaveLength(tt.out.trim().split('\n').length);

    const [tj, oj] = [await etcdctl(theirs(), ['endpoint', 'status', '-w', 'json']), await etcdctl(ours(), ['endpoint', 'status', '-w', 'json'])];
    expect(keyShape(JSON.parse(oj.out))).toEqual(keyShape(JSON.parse(tj.out)));
    expect((JSON.parse(oj.out) as unknown[]).length).toBe(3);
  });

  it('member list: same shape, every member\'s client URL; ids, names and peer URLs differ', async () => {
    const rows = (out: string) => out.trim().split('\n').map((l) => l.split(', '));
    const [t, o] = [rows((await etcdctl(theirs(), ['member', 'list'])).out), rows((await etcdctl(peers[0]!.url, ['member', 'list'])).out)];
    // Both: three started voters, six columns.
    expect(o.map((r) => [r.length, r[1], r[5]])).toEqual(t.map((r) => [r.length, r[1], r[5]]));
    // Difference: names default to the node id (no --name here), and peer URLs are http://ID.meshraft.invalid:2380.
    expect(o.map((r) => r.slice(2, 4).join(', ')).sort()).toEqual([
      'a, http://a.meshraft.invalid:2380',
      'b, http://b.meshraft.invalid:2380',
      'c, http://c.meshraft.invalid:2380',
    ]);
    expect(t.map((r) => r[2]).sort()).toEqual(['e1', 'e2', 'e3']);
    // Both list every member's client URL (each meshraft member publishes its own).
    expect(t.every((r) => /^http:\/\/127\.0\.0\.1:\d+$/.test(r[4]!))).toBe(true);
    expect(o.map((r) => r[4]).sort()).toEqual(peers.map((p) => p.url).sort());
  });

  it('member add --learner and member remove', async () => {
    const add = await etcdctl(peers[0]!.url, ['member', 'add', 'd', '--peer-urls=http://d.meshraft.invalid:2380', '--learner']);
    expect([add.code, add.err]).toEqual([0, '']);
    // etcdctl prints ids with %16x: an id below 2^60 is padded with spaces (as from etcd itself).
    expect(add.out).toMatch(/^Member +[0-9a-f]+ added to cluster +[0-9a-f]+/);
    const id = /Member +([0-9a-f]+) added/.exec(add.out)![1]!;
    const listed = await etcdctl(peers[0]!.url, ['member', 'list']);
    // As etcd: a member that has not published its name yet is "unstarted", with no name.
    expect(listed.out).toContain(`${id}, unstarted, , http://d.meshraft.invalid:2380, , true`);
    const removed = await etcdctl(peers[0]!.url, ['member', 'remove', id]);
    expect([removed.code, removed.out]).toEqual([0, expect.stringMatching(/^Member +[0-9a-f]+ removed from cluster +[0-9a-f]+/)]);
    const bad = await etcdctl(peers[0]!.url, ['member', 'add', 'e', '--peer-urls=http://10.0.0.1:2380']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('meshraft peer URLs are http://NODE-ID.meshraft.invalid:2380');
  });

  it('snapshot save writes the snapshot with its sha256 trailer, as against etcd', async () => {
    const file = join(await dirs.make(), 'snap.db');
    const saved = await etcdctl(peers[1]!.url, ['snapshot', 'save', file]);
    expect([saved.code, saved.out.trim(), errors(saved.err)]).toEqual([0, `Snapshot saved at ${file}`, []]);
    expect(existsSync(file) && statSync(file).size > 32).toBe(true);
    expect(spawnSync('etcdctl', ['snapshot', 'save', join(await dirs.make(), 'e.db'), '--endpoints', reference[0]!], { env: { ...process.env, ETCDCTL_API: '3' } }).status).toBe(0);
  });

  it('move-leader: the same output; the named member leads afterwards', async () => {
    for (const endpoints of [theirs(), ours()]) {
      const before = statusLines((await etcdctl(endpoints, ['endpoint', 'status'])).out);
      const [leader, target] = [before.find((l) => l.leader)!, before.find((l) => !l.leader)!];
      const moved = await etcdctl(endpoints, ['move-leader', target.id]);
      expect([endpoints === ours(), moved.code, moved.out, errors(moved.err)]).toEqual([
        endpoints === ours(), 0, `Leadership transferred from ${leader.id} to ${target.id}\n`, [],
      ]);
      await eventually('the new leader', async () => {
        const now = statusLines((await etcdctl(endpoints, ['endpoint', 'status'])).out);
        return now.filter((l) => l.leader).map((l) => l.id).join() === target.id ? true : undefined;
      });
    }
    // Naming the current leader, and an unknown member: the same output from both.
    const again = async (endpoints: string, id?: string) => {
      const leader = statusLines((await etcdctl(endpoints, ['endpoint', 'status'])).out).find((l) => l.leader)!.id;
      const r = await etcdctl(endpoints, ['move-leader', id ?? leader]);
      return [r.code, r.out.replaceAll(leader, 'LEADER'), errors(r.err)];
    };
    expect(await again(ours())).toEqual(await again(theirs()));
    expect(await again(ours(), 'abc')).toEqual(await again(theirs(), 'abc'));
  });
});
