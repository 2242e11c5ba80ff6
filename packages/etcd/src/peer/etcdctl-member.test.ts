/**
 * etcdctl 3.4's `member update` against three meshraft peers and a real three-member etcd 3.4:
 * the answers etcd gives that meshraft can give too (an unknown id, another member's peer URL,
 * the member's own URL), compared exactly once member and cluster ids are named.
 */
import { describe, expect, it } from 'vitest';
import { errorLines, runEtcdctl as etcdctl, useComparedClusters, type EtcdctlRun as Run } from './__tests__/etcdctl-run.js';

/** `member list`'s rows: hex id and peer URL, in the order listed. */
async function rows(endpoint: string): Promise<{ id: string; peer: string }[]> {
  const r = await etcdctl(endpoint, ['member', 'list']);
  return r.out.trim().split('\n').map((l) => {
    const f = l.split(', ');
    return { id: f[0]!, peer: f[3]! };
  });
}

/**
 * What a run showed, with hex ids (members and cluster) replaced by a placeholder. etcdctl prints
 * ids with %16x, so an id below 2^60 comes space-padded: the padding goes with the id.
 */
const shown = (r: Run) => [r.code, r.out.replace(/ *\b[0-9a-f]{12,16}\b/g, ' ID').trim(), errorLines(r.err)];

describe('etcdctl 3.4 member update against meshraft and a three-member etcd', () => {
  const clusters = useComparedClusters('ctl-member');

  it('an unknown id, another member\'s peer URL, its own peer URL: the same answers', async () => {
    const targets = [clusters().etcd.urls[0]!, clusters().peers[0]!.url];
    const results: unknown[][] = [];
    for (const endpoint of targets) {
      const [m0, m1] = await rows(endpoint);
      results.push([
        shown(await etcdctl(endpoint, ['member', 'update', '1234abcd', `--peer-urls=${m0!.peer}`])),
        shown(await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m1!.peer}`])),
        shown(await etcdctl(endpoint, ['member', 'update', m0!.id, `--peer-urls=${m0!.peer}`])),
      ]);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('difference: a new peer URL is refused (a meshraft member keeps its own); every member lists the same peer URLs', async () => {
    const peers = clusters().peers;
    const before = await rows(peers[1]!.url);
    const refused = async (url: string) => {
      const r = await etcdctl(peers[1]!.url, ['member', 'update', before[0]!.id, `--peer-urls=${url}`]);
      return [r.code, errorLines(r.err)];
    };
    const pre = 'Error: rpc error: code = InvalidArgument desc = etcdserver:';
    expect(await refused('http://zz.meshraft.invalid:2380')).toEqual([1, [`${pre} a meshraft member keeps its peer URL, http://NODE-ID.meshraft.invalid:2380`]]);
    expect(await refused('http://10.0.0.9:2380')).toEqual([1, [`${pre} meshraft peer URLs are http://NODE-ID.meshraft.invalid:2380, got "http://10.0.0.9:2380"`]]);
    const sorted = (rs: { id: string; peer: string }[]) => rs.map((x) => `${x.id} ${x.peer}`).sort();
    for (const p of peers) expect(sorted(await rows(p.url))).toEqual(sorted(before));
  });
});
