/**
 * Issue 17's reproduction with real processes: three `meshraft peer`s (--tick-ms 20) write past
 * the default snapshotEntries (10,000) so every member compacts away the conf changes that grew
 * the cluster. The founder is killed with SIGKILL and restarted, then the current leader is
 * paused with SIGSTOP. Before the fix the founder restarted believing it was the only voter: it
 * led on its own vote and acknowledged writes the other two never saw. Now every acknowledged
 * write is read back from every member. (The log's role lines cannot show a candidacy reliably:
 * the runtime reports the role of each Ready it handles, and a quick election can pass through
 * candidate between two Readies.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { b64, clusterOf, eventually, killAll, post, startPeer, startSignaling, tempDirs, unb64, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const WRITES = 12_000;

describe('a founder restarted after compaction (issue 17)', () => {
  it('loses no acknowledged write across a leader pause', async () => {
    const { url: signaling } = await startSignaling();
    const ids = ['n1', 'n2', 'n3'];
    const data = new Map<string, string>();
    for (const id of ids) data.set(id, await dirs.make());
    const argsOf = (id: string) => [
      '--cluster', 'compact', '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '20',
      '--request-timeout-ms', '3000', ...(id === 'n1' ? ['--bootstrap'] : []),
    ];
    const peers = new Map<string, PeerProcess>();
    const start = async (id: string) => peers.set(id, await startPeer(argsOf(id)));
    await start('n1');
    await Promise.all(['n2', 'n3'].map(start));
    const leader = await clusterOf(peers, 'n1');

    // Past snapshotEntries, through the leader (16 concurrent writers; a failed put is retried).
    let next = 0;
    let target = peers.get(await leader())!.url;
    const writer = async () => {
      while (next < WRITES) {
        const i = next++;
        for (;;) {
          const r = await post(target, '/v3/kv/put', { key: b64(`k${i}`), value: b64('v') }).catch(() => undefined);
          if (r?.status === 200) break;
          target = peers.get(await leader())!.url;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));

    // kill -9 the founder and restart it with the same command line; it follows.
    await peers.get('n1')!.kill('SIGKILL');
    await start('n1');
    await sleep(3000);
    const paused = await leader();

    // Pause the leader; writes go to the founder meanwhile (each may or may not be acknowledged).
    const acked: string[] = [];
    peers.get(paused)!.child.kill('SIGSTOP');
    const deadline = Date.now() + 2000;
    for (let i = 0; Date.now() < deadline; i++) {
      const key = `paused-${i}`;
      const r = await post(peers.get('n1')!.url, '/v3/kv/put', { key: b64(key), value: b64('acked') }, AbortSignal.timeout(1000)).catch(() => undefined);
      if (r?.status === 200) acked.push(key);
    }
    peers.get(paused)!.child.kill('SIGCONT');
    await sleep(1500);

    // Every member serves every acknowledged write on a linearizable read.
    for (const id of ids) {
      for (const key of acked) {
        const r = await eventually(`${id} to answer a read of ${key}`, async () => {
          const res = await post(peers.get(id)!.url, '/v3/kv/range', { key: b64(key) }, AbortSignal.timeout(3000));
          return res.status === 200 ? res : undefined;
        });
        const kvs = (r.json.kvs ?? []) as { value?: string }[];
        expect(kvs.map((kv) => unb64(kv.value)), `${id} reading ${key}`).toEqual(['acked']);
      }
    }
  }, 240_000);
});
