/**
 * Founding as processes: `meshraft peer --bootstrap` in a room whose signaling server recorded a
 * cluster refuses with exit 2 and creates nothing; a peer without --bootstrap waits for the
 * room's cluster while it is offline and never founds; a member returning to a server that
 * forgot its room (no --data) finds another history recorded, stops FORKED and writes its
 * committed entries to fork-entries.json; two founders raced at once leave one history.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FORK_FILE } from './founding.js';
import { b64, eventually, killAll, post, runCli, startPeer, tempDirs, type CliProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterEach(killAll);
afterAll(dirs.cleanup);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A signaling server process on `port` (kept across restarts), with `--data` when given. */
async function signaling(port: number, data?: string): Promise<CliProcess> {
  const proc = runCli(['signaling', '--port', String(port), '--host', '127.0.0.1', '--rate', '100000', ...(data ? ['--data', data] : [])]);
  await proc.waitFor(/listening on port \d+/);
  return proc;
}

const peerArgs = (url: string, data: string, id: string, ...extra: string[]) => ['--cluster', 'room', '--signaling', url, '--data', data, '--id', id, '--tick-ms', '50', ...extra];
const put = (url: string, key: string, value: string) => post(url, '/v3/kv/put', { key: b64(key), value: b64(value) });

describe('meshraft peer: founding under one name', () => {
  it('--bootstrap in a room that has a cluster exits 2 and creates nothing; a joiner waits and never founds', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const records = await dirs.make();
    let server = await signaling(port, records);
    const base = await dirs.make();
    const a = await startPeer(peerArgs(url, join(base, 'a'), 'a', '--bootstrap'));
    await a.waitFor(/leader a /);
    expect((await put(a.url, 'k', 'from-a')).status).toBe(200);
    await eventually('the room record on disk', async () => ((await readFile(join(records, 'signaling-rooms.json'), 'utf8')).includes('"room"') ? true : undefined));
    // The server restarts from its --data: it still knows the room's cluster.
    await server.kill();
    server = await signaling(port, records);

    const b = runCli(['peer', '--relay-only', ...peerArgs(url, join(base, 'b'), 'b', '--bootstrap')]);
    expect(await b.exited).toBe(2);
    expect(b.lines.join('\n')).toMatch(/cluster room already exists \(the signaling server recorded cluster id [0-9a-f]{32}\): start without --bootstrap/);
    await expect(stat(join(base, 'b'))).rejects.toMatchObject({ code: 'ENOENT' });

    // Every member offline: a peer without --bootstrap waits for the room's cluster, says why.
    await a.kill();
    const c = await startPeer(peerArgs(url, join(base, 'c'), 'c'));
    await c.waitFor(/waiting: no member of cluster [0-9a-f]{32} online/);
    expect(c.lines.join('\n')).not.toMatch(/leader c /);
    const back = await startPeer(peerArgs(url, join(base, 'a'), 'a', '--bootstrap'));
    await c.waitFor(/leader a /, 30_000);
    await eventually('c reads a\'s write', async () => {
      const r = await post(c.url, '/v3/kv/range', { key: b64('k') });
      return (r.json.kvs as unknown[] | undefined)?.length === 1 ? true : undefined;
    });
    expect((await put(back.url, 'k2', 'v')).status).toBe(200);
  });

  it('a member returning to a server that forgot its room finds another history recorded: it stops FORKED and writes its entries to a file', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    let server = await signaling(port); // no --data: a restart forgets
    const base = await dirs.make();
    const a = await startPeer(peerArgs(url, join(base, 'a'), 'a', '--bootstrap'));
    await a.waitFor(/leader a /);
    expect((await put(a.url, 'kept', 'by-a')).status).toBe(200);
    await a.kill();
    await server.kill();
    server = await signaling(port);
    const b = await startPeer(peerArgs(url, join(base, 'b'), 'b', '--bootstrap'));
    await b.waitFor(/leader b /);
    await server.waitFor(/recorded cluster id/);
    const again = await startPeer(peerArgs(url, join(base, 'a'), 'a'));
    await again.waitFor(/FORKED: this peer's cluster [0-9a-f]{32} lost to cluster [0-9a-f]{32} under the name room/);
    await server.waitFor(/two histories under one name/);
    const file = JSON.parse(await readFile(join(base, 'a', FORK_FILE), 'utf8')) as { entries: { command: { type: string; key: { base64: string } } }[] };
    // Besides the write, a's published member attributes (memberAttrs) were committed too.
    const writes = file.entries.filter((e) => e.command.type !== 'memberAttrs');
    expect(writes.map((e) => [e.command.type, Buffer.from(e.command.key.base64, 'base64').toString()])).toEqual([['put', 'kept']]);
    expect((await put(again.url, 'x', 'y')).status).not.toBe(200);
    expect((await put(b.url, 'x', 'y')).status).toBe(200);
  });

  it('two --bootstrap peers raced under one name leave exactly one history', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    await signaling(port);
    const base = await dirs.make();
    const procs = ['p', 'q'].map((id) => runCli(['peer', '--relay-only', '--http', '127.0.0.1:0', ...peerArgs(url, join(base, id), id, '--bootstrap')]));
    // One ends refused (exit 2: the other was recorded first) or FORKED; the other keeps leading.
    const loser = await Promise.any(procs.map((p, i) => p.waitFor(/FORKED: |CLUSTER_EXISTS/, 40_000).then(() => i)));
    const [lost, kept] = [procs[loser]!, procs[1 - loser]!];
    const lostId = loser === 0 ? 'p' : 'q';
    if (lost.lines.some((l) => l.includes('CLUSTER_EXISTS'))) {
      expect(await lost.exited).toBe(2);
      await expect(stat(join(base, lostId))).rejects.toMatchObject({ code: 'ENOENT' });
    } else {
      await stat(join(base, lostId, FORK_FILE));
    }
    await kept.waitFor(new RegExp(`leader ${loser === 0 ? 'q' : 'p'} `));
    await new Promise((r) => setTimeout(r, 1000));
    expect(kept.lines.join('\n')).not.toMatch(/FORKED|CLUSTER_EXISTS/);
    expect(kept.child.exitCode).toBeNull();
  });
});
