/** The room's recorded cluster id: first announce kept, told to joiners, persisted with `data`, conflicts reported. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RoomRecordsError } from './room-records.js';
import { createSignalingServer } from './signaling-server.js';
import { rawClient } from './__tests__/raw-client.js';
import { cleanups, joined, start } from './__tests__/server-fixture.js';

const X = 'a'.repeat(32);
const Y = 'b'.repeat(32);

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'room-records-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

describe('room records', () => {
  it('keeps the first id announced, tells joiners, and reports another id to the room without recording it', async () => {
    const s = await start();
    const a = await joined(s.url, 'r', 'a');
    expect(a.messages[0]).toMatchObject({ type: 'joined', cluster: null });
    a.send({ type: 'cluster', id: X });
    expect(await a.waitFor((m) => m.type === 'cluster')).toEqual({ type: 'cluster', id: X });
    const b = await joined(s.url, 'r', 'b');
    expect(b.messages[0]).toMatchObject({ type: 'joined', cluster: X });
    b.send({ type: 'cluster', id: Y });
    expect(await a.waitFor((m) => m.type === 'cluster' && 'conflict' in m)).toEqual({ type: 'cluster', id: X, conflict: Y });
    expect(await b.waitFor((m) => m.type === 'cluster')).toEqual({ type: 'cluster', id: X, conflict: Y });
    const other = await joined(s.url, 'other', 'c');
    expect(other.messages[0]).toMatchObject({ cluster: null });
    expect(s.stats()).toMatchObject({ recordedRooms: 1, clusterConflicts: 1 });
    b.send({ type: 'cluster', id: 'not-an-id' });
    expect(await b.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'MALFORMED' });
  });

  it('with data, a restarted server still knows; without, it forgets and learns the next id announced', async () => {
    const dir = await tempDir();
    const first = await createSignalingServer({ data: dir });
    const a = await rawClient(first.url);
    a.send({ type: 'join', room: 'r', peer: 'a' });
    await a.waitFor((m) => m.type === 'joined');
    a.send({ type: 'cluster', id: X });
    await a.waitFor((m) => m.type === 'cluster');
    await a.close();
    await first.close(100);
    expect(JSON.parse(await readFile(join(dir, 'signaling-rooms.json'), 'utf8'))).toEqual({ version: 1, rooms: { r: X } });

    const again = await start({ data: dir });
    expect((await joined(again.url, 'r', 'b')).messages[0]).toMatchObject({ cluster: X });

    const forgetful = await start();
    const c = await joined(forgetful.url, 'r', 'c');
    expect(c.messages[0]).toMatchObject({ cluster: null });
    c.send({ type: 'cluster', id: Y });
    expect(await c.waitFor((m) => m.type === 'cluster')).toEqual({ type: 'cluster', id: Y });
  });

  it('refuses a data file that is not a records file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'rooms.json');
    await writeFile(file, '{"rooms": {"r": "nope"}}');
    await expect(createSignalingServer({ data: file })).rejects.toBeInstanceOf(RoomRecordsError);
    await writeFile(file, 'garbage');
    await expect(createSignalingServer({ data: file })).rejects.toMatchObject({ code: 'ROOM_RECORDS_UNREADABLE' });
  });
});
