/**
 * `meshraft peer` as a process: usage errors, --bootstrap on a data directory that holds state,
 * the data directory lock, and a clean exit on SIGTERM / SIGINT.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { b64, killAll, post, runCli, startPeer, startSignaling, tempDirs, unb64 } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterEach(killAll);
afterAll(dirs.cleanup);

describe('meshraft CLI', () => {
  it('bad flags: usage on stderr and exit 2', async () => {
    const cases = [
      ['peer', '--cluster', 'c', '--signaling', 'ws://127.0.0.1:1'], // no --data
      ['peer', '--cluster', 'c', '--signaling', 'http://x', '--data', '/tmp/x'],
      ['peer', '--cluster', 'c', '--signaling', 'ws://h:1', '--data', '/tmp/x', '--frobnicate'],
      ['teleport'],
    ];
    const procs = cases.map((args) => runCli(args));
    for (const p of procs) {
      expect(await p.exited).toBe(2);
      expect(p.lines.join('\n')).toMatch(/usage:\s+meshraft peer --cluster NAME/);
    }
  });

  it('--bootstrap is ignored on a data directory that holds state; the peer keeps its id and data', async () => {
    const { url: signaling } = await startSignaling();
    const data = await dirs.make();
    const args = ['--cluster', 'boot', '--signaling', signaling, '--data', data, '--bootstrap'];
    const first = await startPeer([...args, '--id', 'p1']);
    await first.waitFor(/leader p1/);
    expect((await post(first.url, '/v3/kv/put', { key: b64('kept'), value: b64('yes') })).status).toBe(200);
    expect(await first.kill('SIGTERM')).toBe(0);

    const again = await startPeer(args);
    await again.waitFor(/--bootstrap ignored: the data directory already holds state/);
    await again.waitFor(/peer p1 started: .*\(restarted\)/);
    const range = await post(again.url, '/v3/kv/range', { key: b64('kept') });
    expect(range.status).toBe(200);
    expect(unb64((range.json.kvs as { value: string }[])[0]!.value)).toBe('yes');
    // A fresh founding would have reset the revision; the restarted store continues from the old one.
    expect(Number((range.json.kvs as { mod_revision: string }[])[0]!.mod_revision)).toBeGreaterThan(1);
    expect(await again.kill('SIGINT')).toBe(0);
  });

  it('a second peer on the same data directory fails with the lock error, exit 1', async () => {
    const { url: signaling } = await startSignaling();
    const data = await dirs.make();
    const args = ['--cluster', 'lock', '--signaling', signaling, '--data', data, '--bootstrap'];
    const holder = await startPeer(args);
    const second = runCli(['peer', '--relay-only', ...args]);
    expect(await second.exited).toBe(1);
    expect(second.lines.join('\n')).toMatch(
      new RegExp(`meshraft: ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S* is locked by process ${holder.child.pid} \\(DATA_DIR_LOCKED\\)`),
    );
    // The holder is unaffected and still stops cleanly, releasing the lock for the next one.
    expect(await holder.kill('SIGTERM')).toBe(0);
    const next = await startPeer(args);
    expect(await next.kill('SIGTERM')).toBe(0);
  });
});
