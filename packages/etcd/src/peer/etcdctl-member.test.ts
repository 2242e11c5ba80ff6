/**
 * etcdctl 3.4's member commands against three meshraft peers and a real three-member etcd 3.4:
 * `member update` errors compared exactly once member and cluster ids are named; then one script
 * (member list, member update, member list, endpoint status/health --cluster, an unstarted
 * learner) run against both, compared once ids, names, URLs, sizes, raft indexes and timings are
 * masked; then what a restart with new --name / --advertise-client-urls publishes.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from './__tests__/peer-process.js';
import { errorLines, runEtcdctl as etcdctl, useComparedClusters, type EtcdctlRun as Run } from './__tests__/etcdctl-run.js';

interface Row {
  id: string;
  status: string;
  name: string;
  peers: string[];
  clients: string[];
  learner: string;
}

/** `member list`'s rows, in the order listed. */
async function rows(endpoint: string): Promise<Row[]> {
  const r = await etcdctl(endpoint, ['member', 'list']);
  // Each URL list is comma-joined too: split on ", " first, then the URL lists on ",".
  return r.out.trim().split('\n').map((l) => {
    const [id, status, name, peers, clients, learner] = l.split(', ');
    const list = (s: string | undefined) => (s ? s.split(',') : []);
    return { id: id!, status: status!, name: name!, peers: list(peers), clients: list(clients), learner: learner! };
  });
}

/**
 * What a run showed, with hex ids (members and cluster) replaced by a placeholder. etcdctl prints
 * ids with %16x, so an id below 2^60 comes space-padded: the padding goes with the id.
 */
const maskIds = (s: string) => s.replace(/ *\b[0-9a-f]{12,16}\b/g, ' ID');
const shown = (r: Run) => [r.code, maskIds(r.out).trim(), errorLines(r.err)];

/** A URL no member listens on, sorting after every real one (etcd keeps using the first it reaches). */
const EXTRA_PEER_URL = 'http://zz.example.invalid:2380';

describe('etcdctl 3.4 member commands against meshraft and a three-member etcd', () => {
  const clusters = useComparedClusters('ctl-member');

  it('an unknown id, another member\'s peer URL, its own peer URL: the same answers', async () => {
    const targets = [clusters().etcd.urls[0]!, clusters().peers[0]!.url];
    const results: unknown[][] = [];
    for (const endpoint of targets) {
      const [m0, m1] = await rows(endpoint);
      results.push([
        shown(await etcdctl(endpoint, ['member', 'update', '1234abcd', `--peer-urls=${m0!.peers[0]}`])),
        shown(await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m1!.peers[0]}`])),
        shown(await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m0!.peers[0]}`])),
      ]);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('member list, member update, member list, endpoint status and health --cluster, an unstarted learner: the same output once masked', async () => {
    const { etcd, peers } = clusters();
    const sides = [
      { endpoint: etcd.urls[0]!, clients: etcd.urls, learnerUrl: 'http://127.0.0.1:1' },
      { endpoint: peers[0]!.url, clients: peers.map((p) => p.url), learnerUrl: 'http://zz.meshraft.invalid:2380' },
    ];
    const transcripts: unknown[][] = [];
    for (const { endpoint, clients, learnerUrl } of sides) {
      const before = await rows(endpoint);
      const names = before.map((r) => r.name);
      const peerUrls = before.flatMap((r) => r.peers);
      // Every URL and name this cluster has, named by kind; sizes, raft numbers and timings go too.
      const mask = (s: string) => {
        let out = maskIds(s);
        for (const u of clients) out = out.split(u).join('CLIENT');
        for (const u of peerUrls) out = out.split(u).join('PEER');
        out = out.split(learnerUrl).join('NEWPEER');
        for (const n of names) out = out.replace(new RegExp(`, ${n}, `, 'g'), ', NAME, ');
        return out
          .replace(/, 3\.\d+\.\d+, \d+(\.\d+)? [kMG]?B, /g, ', VERSION, SIZE, ')
          .replace(/, (true|false), (true|false), \d+, \d+, \d+, /g, ', $1, $2, N, N, N, ')
          .replace(/took = [0-9.]+[µmn]?s/g, 'took = T');
      };
      const run = async (args: string[]) => {
        const r = await etcdctl(endpoint, args);
        // Line by line: etcdctl ends a status row with ", " and its last row is not special.
        return [r.code, mask(r.out).split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').sort(), errorLines(r.err).map(mask)];
      };
      const m0 = before[0]!;
      const t: unknown[] = [];
      t.push(await run(['member', 'list']));
      t.push(await run(['member', 'update', m0.id, `--peer-urls=${m0.peers[0]},${EXTRA_PEER_URL}`]));
      t.push(await run(['member', 'list']));
      t.push(await run(['endpoint', 'status', '--cluster']));
      t.push(await run(['endpoint', 'health', '--cluster']));
      // etcd refuses a member change until every voter has been connected for 5 s ("unhealthy
      // cluster"), which the update just reset: wait that out, on both sides alike.
      const added = await eventually('member add', async () => {
        const r = await etcdctl(endpoint, ['member', 'add', 'newbie', '--learner', `--peer-urls=${learnerUrl}`]);
        return r.err.includes('unhealthy cluster') ? undefined : r;
      });
      // ETCD_INITIAL_CLUSTER lists NAME=URL pairs in the answer's member order (etcd's is by id).
      const initialCluster = (l: string) => {
        const m = /^ETCD_INITIAL_CLUSTER="(.*)"$/.exec(l);
        return m ? m[1]!.split(',').map((pair) => pair.replace(/^[^=]+=/, (n) => (names.includes(n.slice(0, -1)) ? 'NAME=' : n))).sort() : l;
      };
      t.push(added.code, mask(added.out).replace(/newbie/g, 'NEW').trim().split('\n').map(initialCluster));
      t.push(await run(['member', 'list']));
      const learner = (await rows(endpoint)).find((r) => r.learner === 'true');
      t.push((await etcdctl(endpoint, ['member', 'remove', learner?.id ?? 'none'])).code);
      t.push(await run(['member', 'update', m0.id, `--peer-urls=${m0.peers[0]}`]));
      t.push(await run(['member', 'list']));
      transcripts.push(t);
    }
    expect(transcripts[1]).toEqual(transcripts[0]);
    // The updated peer URLs are in every member's list (the table is replicated).
    const [a] = await rows(peers[0]!.url);
    await etcdctl(peers[0]!.url, ['member', 'update', a!.id, `--peer-urls=${a!.peers[0]},${EXTRA_PEER_URL}`]);
    for (const p of peers) {
      await eventually(`${p.url} lists the new peer URLs`, async () => ((await rows(p.url)).find((r) => r.id === a!.id)?.peers.join() === `${a!.peers[0]},${EXTRA_PEER_URL}` ? true : undefined));
    }
  });

  it('a removed member\'s recorded peer URLs are forgotten: another member may take them', async () => {
    const endpoint = clusters().peers[0]!.url;
    const url = 'http://yy.example.invalid:2380';
    expect((await etcdctl(endpoint, ['member', 'add', 'yy', '--learner', '--peer-urls=http://yy.meshraft.invalid:2380'])).code).toBe(0);
    const yy = (await rows(endpoint)).find((r) => r.peers[0] === 'http://yy.meshraft.invalid:2380')!;
    expect((await etcdctl(endpoint, ['member', 'update', yy.id, `--peer-urls=${url}`])).code).toBe(0);
    expect((await etcdctl(endpoint, ['member', 'remove', yy.id])).code).toBe(0);
    const [m0] = await rows(endpoint);
    const taken = await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m0!.peers[0]},${url}`]);
    expect([taken.code, errorLines(taken.err)]).toEqual([0, []]);
    await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m0!.peers[0]}`]);
  });

  it('a restart with --name and --advertise-client-urls publishes them; every member lists them', async () => {
    const urls = ['http://127.0.0.1:1', 'http://127.0.0.2:2'];
    await clusters().restart(2, ['--name', 'custom-c', '--advertise-client-urls', urls.join(',')]);
    for (const p of clusters().peers.slice(0, 2)) {
      await eventually(`${p.url} lists custom-c`, async () => {
        const c = (await rows(p.url)).find((r) => r.name === 'custom-c');
        return c?.clients.join() === urls.join() && c.status === 'started' ? true : undefined;
      });
    }
  });
});
