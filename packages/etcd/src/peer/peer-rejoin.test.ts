/**
 * A replaced voter returning (issue 12), as `meshraft peer` processes: four peers (three voters
 * and a learner); a follower is killed with SIGKILL and, after the grace period (the default
 * 30 s), replaced by the learner. Restarted from its data directory it still believes it is a
 * voter; the leader tells it it is outside, and it rejoins as a learner by itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

interface Member {
  readonly name?: string;
  readonly isLearner?: boolean;
}

const members = async (p: PeerProcess): Promise<Member[]> => ((await post(p.url, '/v3/cluster/member/list')).json.members as Member[] | undefined) ?? [];

describe('a replaced voter returning', () => {
  it('rejoins as a learner by itself', { timeout: 180_000 }, async () => {
    const { url: signaling } = await startSignaling();
    const data = new Map<string, string>();
    for (const id of ['a', 'b', 'c', 'd']) data.set(id, await dirs.make());
    const argsOf = (id: string) => ['--cluster', 'rejoin', '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])];
    const peers = new Map<string, PeerProcess>();
    peers.set('a', await startPeer(argsOf('a')));
    for (const id of ['b', 'c', 'd']) peers.set(id, await startPeer(argsOf(id)));
    const a = peers.get('a')!;
    const shape = async () => {
      const ms = await members(a);
      // Names are the node ids once each member has published them.
      return ms.length === 4 && ms.filter((m) => m.isLearner).length === 1 && ms.every((m) => m.name) ? ms : undefined;
    };
    const formed = await eventually('three voters and a learner', shape, 60_000);
    const learner = formed.find((m) => m.isLearner)!.name!;
    const statusOf = async (p: PeerProcess) => (await post(p.url, '/v3/maintenance/status')).json as { leader?: string; header?: { member_id?: string } };
    // A voter other than the leader and a.
    const leaderId = String((await statusOf(a)).leader);
    let victim: string | undefined;
    for (const id of ['b', 'c', 'd']) {
      if (id === learner) continue;
      if (String((await statusOf(peers.get(id)!)).header?.member_id) !== leaderId) victim = id;
    }
    expect(victim).toBeDefined();
    await peers.get(victim!)!.kill('SIGKILL');
    // Replaced after the grace period: the learner becomes a voter, the victim leaves the list.
    await eventually(`${victim} replaced`, async () => {
      const ms = await members(a);
      return ms.length === 3 && ms.every((m) => !m.isLearner) && !ms.some((m) => m.name === victim) ? true : undefined;
    }, 90_000);
    await post(a.url, '/v3/kv/put', { key: Buffer.from('k').toString('base64'), value: Buffer.from('v').toString('base64') });
    // Back with its old data dir: it rejoins, as a learner, without anyone adding it.
    const back = await startPeer(argsOf(victim!));
    peers.set(victim!, back);
    await eventually(`${victim} back as a learner`, async () => {
      const ms = await members(a);
      return ms.some((m) => m.name === victim && m.isLearner) ? true : undefined;
    }, 30_000);
    const got = await eventually('the value on the returned peer', async () => {
      const r = await post(back.url, '/v3/kv/range', { key: Buffer.from('k').toString('base64'), serializable: true });
      const kvs = r.json.kvs as { value: string }[] | undefined;
      return kvs?.[0] ? Buffer.from(kvs[0].value, 'base64').toString() : undefined;
    }, 30_000);
    expect(got).toBe('v');
  });
});
