/**
 * A watch resumed on another member from its last seen revision misses nothing and repeats
 * nothing, across a SIGKILL of the leader and its restart: writes go on through the survivors,
 * and the events seen (first stream, then the resumed one) are exactly the committed puts, in
 * revision order, equal to the committed history replayed on a third member.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});


const host = (p: PeerProcess) => p.url.replace('http://', '');

describe('watch resume across members', () => {
  it('misses nothing and repeats nothing through a leader SIGKILL and restart', async () => {
    const { url: signaling } = await startSignaling();
    const ids = ['a', 'b', 'c'];
    const data = new Map<string, string>();
    for (const id of ids) data.set(id, await dirs.make());
    const args = (id: string) => ['--cluster', 'resume', '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '50', '--request-timeout-ms', '3000', ...(id === 'a' ? ['--bootstrap'] : [])];
    const peers = new Map<string, PeerProcess>();
    await Promise.all(ids.map(async (id) => peers.set(id, await startPeer(args(id)))));
    await eventually('three voters', async () => {
      const members = (await post(peers.get('a')!.url, '/v3/cluster/member/list')).json.members as { isLearner?: boolean }[] | undefined;
      return members?.length === 3 && members.every((m) => !m.isLearner) ? true : undefined;
    });
    const leaderId = await eventually('a leader', async () => {
      const s = (await post(peers.get('a')!.url, '/v3/maintenance/status')).json;
      for (const id of ids) {
        const h = (await post(peers.get(id)!.url, '/v3/maintenance/status')).json.header as { member_id: string };
        if (h.member_id === s.leader) return id;
      }
      return undefined;
    });
    const others = ids.filter((id) => id !== leaderId);

    // Writes: every acknowledged put, by revision.
    const committed = new Map<number, string>();
    const write = async (i: number) => {
      for (;;) {
        const up = [...peers.values()];
        const p = up[i % up.length]!;
        const c = new Etcd3({ hosts: host(p), dialTimeout: 3000 });
        try {
          const r = await c.put(`w/${i % 5}`).value(`v${i}`).exec();
          committed.set(Number(r.header.revision), `v${i}`);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          c.close();
        }
      }
    };

    // First watch on the leader.
    const seen: Array<[number, string]> = [];
    const first = new Etcd3({ hosts: host(peers.get(leaderId)!) });
    const w1 = await first.watch().prefix('w/').create();
    w1.on('put', (kv) => seen.push([Number(kv.mod_revision), kv.value.toString()]));
    for (let i = 0; i < 10; i++) await write(i);
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(10);
    first.close();

    // The leader dies; writes continue through the others; the watch resumes on a follower.
    await peers.get(leaderId)!.kill('SIGKILL');
    peers.delete(leaderId);
    for (let i = 10; i < 20; i++) await write(i);
    const resumeFrom = seen[seen.length - 1]![0] + 1;
    const second = new Etcd3({ hosts: host(peers.get(others[0]!)!) });
    const w2 = await second.watch().prefix('w/').startRevision(String(resumeFrom)).create();
    w2.on('put', (kv) => seen.push([Number(kv.mod_revision), kv.value.toString()]));
    // The old leader restarts from its data directory; more writes, some through it.
    peers.set(leaderId, await startPeer(args(leaderId)));
    for (let i = 20; i < 30; i++) await write(i);
    // The committed history: a full replay from revision 1 on the third member. (A put retried
    // after a crash may have committed twice; the history has both, and so must the watch.)
    const history: Array<[number, string]> = [];
    const third = new Etcd3({ hosts: host(peers.get(others[1]!)!) });
    const w3 = await third.watch().prefix('w/').startRevision('1').create();
    w3.on('put', (kv) => history.push([Number(kv.mod_revision), kv.value.toString()]));
    await expect.poll(() => history.length >= 30 && history.length === seen.length, { timeout: 20_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // nothing further may arrive on either
    second.close();
    third.close();

    expect(seen).toEqual(history);
    expect(new Set(seen.map(([rev]) => rev)).size).toBe(seen.length);
    // Every acknowledged put is in it, at its revision.
    for (const [rev, value] of committed) expect(seen).toContainEqual([rev, value]);
  });
});
