/**
 * A Deno peer and Node peers in one cluster. Deno runs the TypeScript source (the `source`
 * export condition, sloppy imports for `.js` → `.ts`), with file storage and the relay transport
 * (@roamhq/wrtc is a Node addon). Writes through either member are read back through the other.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { b64, killAll, post, startPeer, startSignaling, tempDirs, unb64 } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

describe('Deno and Node peers', () => {
  it('replicate writes both ways in one cluster', async () => {
    const { url: signaling } = await startSignaling();
    // A room secret too: Deno's and Node's WebCrypto must seal and open each other's frames.
    const common = ['--cluster', 'mixed', '--signaling', signaling, '--tick-ms', '50', '--secret', 'deno-and-node'];
    const deno = await startPeer([...common, '--data', await dirs.make(), '--id', 'deno', '--bootstrap'], 'deno');
    await deno.waitFor(/leader deno/);
    // Two Node peers join: the leader promotes both in one joint change (it keeps the voter count
    // odd), so the Deno peer's vote and disk count in every commit.
    const joining = async (id: string) => startPeer([...common, '--data', await dirs.make(), '--id', id]);
    const [node, node2] = await Promise.all([joining('node'), joining('node2')]);
    await deno.waitFor(/member node is now a voter/);
    await deno.waitFor(/member node2 is now a voter/);

    expect((await post(deno.url, '/v3/kv/put', { key: b64('from-deno'), value: b64('1') })).status).toBe(200);
    expect((await post(node.url, '/v3/kv/put', { key: b64('from-node'), value: b64('2') })).status).toBe(200);
    const read = async (url: string, key: string) => {
      const r = await post(url, '/v3/kv/range', { key: b64(key) });
      expect(r.status).toBe(200);
      return unb64((r.json.kvs as { value: string }[])[0]!.value);
    };
    // Linearizable reads: each member sees the other's acknowledged write.
    expect(await read(node.url, 'from-deno')).toBe('1');
    expect(await read(deno.url, 'from-node')).toBe('2');
    const members = (await post(node.url, '/v3/cluster/member/list')).json.members as { name: string; isLearner?: boolean }[];
    expect(members.map((m) => [m.name, m.isLearner ?? false]).sort()).toEqual([['deno', false], ['node', false], ['node2', false]]);

    expect(await node.kill('SIGTERM')).toBe(0);
    expect(await node2.kill('SIGTERM')).toBe(0);
    expect(await deno.kill('SIGTERM')).toBe(0);
  });
});
