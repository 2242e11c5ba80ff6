/**
 * --max-request-bytes at etcd's default (1.5 MiB) end to end on three relay-only peers (the
 * signaling server keeps its 1 MiB message limit, so every such entry crosses the relay in
 * fragments): a Put just under the limit through a follower is replicated to every member and
 * read back from each (serializable, so from its own state), also after a SIGKILL and restart of
 * a member; one byte over gets etcd's `request is too large` and nothing is stored.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterOf, eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

const LIMIT = 1.5 * 1024 * 1024;
const KEY = 'big';

/** The value of KEY as member `url` has applied it (serializable: no round to the leader). */
async function localValue(url: string): Promise<Buffer | undefined> {
  const r = await post(url, '/v3/kv/range', { key: Buffer.from(KEY).toString('base64'), serializable: true });
  const kvs = r.json.kvs as { value: string }[] | undefined;
  return kvs?.[0] ? Buffer.from(kvs[0].value, 'base64') : undefined;
}

describe('1.5 MiB requests (etcd --max-request-bytes default)', () => {
  it('a Put just under the limit is replicated and survives a restart; one byte over is refused', async () => {
    const { url: signaling } = await startSignaling();
    const data = new Map<string, string>();
    for (const id of ['a', 'b', 'c']) data.set(id, await dirs.make());
    const argsOf = (id: string) => ['--cluster', 'big', '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : [])];
    const peers = new Map<string, PeerProcess>();
    peers.set('a', await startPeer(argsOf('a')));
    for (const id of ['b', 'c']) peers.set(id, await startPeer(argsOf(id)));
    const leaderOf = await clusterOf(peers, 'a');
    const leader = await leaderOf();
    const follower = [...peers.keys()].find((id) => id !== leader)!;

    // 1 KiB under the limit (the etcd layer counts the fields around key and value too).
    const value = Buffer.alloc(LIMIT - 1024, 0);
    for (let i = 0; i < value.length; i++) value[i] = (i * 131) & 0xff;
    const client = new Etcd3({ hosts: peers.get(follower)!.url.replace('http://', ''), grpcOptions: { 'grpc.max_send_message_length': 4 << 20 } });
    try {
      await client.put(KEY).value(value);
      for (const [id, p] of peers) await eventually(`${id} applied the 1.5 MiB value`, async () => ((await localValue(p.url))?.equals(value) ? true : undefined));

      // One byte over: etcd's error, and the stored value is still the first one.
      await expect(client.put(KEY).value(Buffer.alloc(LIMIT + 1))).rejects.toThrow(/etcdserver: request is too large/);
      expect((await client.get(KEY).buffer())?.equals(value)).toBe(true);
    } finally {
      client.close();
    }

    // A member killed and restarted replays the entry from its own log.
    const victim = [...peers.keys()].find((id) => id !== leader && id !== follower)!;
    await peers.get(victim)!.kill('SIGKILL');
    peers.set(victim, await startPeer(argsOf(victim)));
    await eventually(`${victim} after restart`, async () => ((await localValue(peers.get(victim)!.url))?.equals(value) ? true : undefined));
    // and takes a second large write through it, which every member applies.
    const again = new Etcd3({ hosts: peers.get(victim)!.url.replace('http://', ''), grpcOptions: { 'grpc.max_send_message_length': 4 << 20 } });
    const second = Buffer.from(value).reverse();
    try {
      await again.put(KEY).value(second);
    } finally {
      again.close();
    }
    for (const [id, p] of peers) await eventually(`${id} applied the second value`, async () => ((await localValue(p.url))?.equals(second) ? true : undefined));
  }, 120_000);
});
