/** A node over the durable file backend comes back after a restart as the same member. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStorage } from '@meshraft/storage/file';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounterStateMachine } from '../kv/index.js';
import { FAST_TIMING, testCluster, waitFor, type TestCluster } from './__tests__/cluster.js';
import { createNode } from './create-node.js';

let cluster: TestCluster | undefined;
let dir: string | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  if (dir) await rm(dir, { recursive: true, force: true });
  cluster = undefined;
  dir = undefined;
});

describe('restart over the file backend', () => {
  it('keeps id, log and snapshot; replays to the same state and keeps committing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshraft-node-'));
    cluster = testCluster(9);
    const c = cluster;
    const voters = { voters: ['a', 'b', 'c'] };
    const open = (): ReturnType<typeof openFileStorage> => openFileStorage(dir!, { fsync: false });
    const start = async (withId: boolean) => {
      const node = await createNode({
        cluster: 'test',
        storage: await open(),
        transport: (id) => c.net.transport(id),
        stateMachine: createCounterStateMachine(),
        timing: FAST_TIMING,
        snapshotEntries: 8,
        ...(withId && { id: 'c', bootstrap: voters }),
      });
      c.nodes.set(node.id, node);
      return node;
    };
    await c.start('a', { bootstrap: voters, snapshotEntries: 8 });
    await c.start('b', { bootstrap: voters, snapshotEntries: 8 });
    const first = await start(true);
    for (let i = 0; i < 20; i++) await first.propose({ type: 'add', delta: 1 });
    const applied = first.status().applied;
    await first.stop();
    // No id, no bootstrap: everything comes from the data directory.
    const again = await start(false);
    expect(again.id).toBe('c');
    await waitFor(() => again.status().applied >= applied, 'the restarted node to replay');
    expect((await again.read({ type: 'get' }, { consistency: 'local' })).value).toBe(20);
    expect(await again.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 21 });
  });
});
