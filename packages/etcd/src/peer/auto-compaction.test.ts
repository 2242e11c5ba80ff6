/**
 * --auto-compaction-mode periodic with a short retention on a real peer process: the leader
 * proposes Compact, and old revisions become "compacted" while recent ones stay readable.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { b64, killAll, post, startPeer, startSignaling, tempDirs } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

describe('auto-compaction', () => {
  it('periodic mode compacts history older than the retention', async () => {
    const { url: signaling } = await startSignaling();
    const peer = await startPeer(['--cluster', 'ac', '--signaling', signaling, '--data', await dirs.make(), '--id', 'a', '--bootstrap', '--tick-ms', '50',
      '--auto-compaction-mode', 'periodic', '--auto-compaction-retention', '2s']);
    await peer.waitFor(/leader a/);
    const first = await post(peer.url, '/v3/kv/put', { key: b64('k'), value: b64('1') });
    expect(first.status).toBe(200);
    const rev = Number((first.json.header as { revision: string }).revision);
    expect((await post(peer.url, '/v3/kv/range', { key: b64('k'), revision: String(rev) })).status).toBe(200);
    // Keep writing; within a few retention periods the first revision is compacted.
    const deadline = Date.now() + 30_000;
    let last = rev;
    for (;;) {
      const r = await post(peer.url, '/v3/kv/put', { key: b64('k'), value: b64(String(Date.now())) });
      last = Number((r.json.header as { revision: string }).revision);
      const old = await post(peer.url, '/v3/kv/range', { key: b64('k'), revision: String(rev) });
      if (old.status !== 200) {
        expect(old.json).toMatchObject({ code: 11, error: 'etcdserver: mvcc: required revision has been compacted' });
        break;
      }
      if (Date.now() > deadline) throw new Error('history was never auto-compacted');
      await new Promise((r) => setTimeout(r, 250));
    }
    await peer.waitFor(/auto-compaction: compacted to revision \d+/);
    // The newest revision is still there.
    expect((await post(peer.url, '/v3/kv/range', { key: b64('k'), revision: String(last) })).status).toBe(200);
  });
});
