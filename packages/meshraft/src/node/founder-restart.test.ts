/**
 * Regression (FOUND-BUGS.md, issue 17): a founding node restarted after its log was compacted
 * past the conf changes that grew the cluster believed it was still the only voter, elected
 * itself on its own vote and acknowledged writes the majority never saw. Over each storage
 * backend the runtime ships with: the restarted founder, cut off from the other two, must not
 * lead, and once healed it follows and serves the cluster's writes.
 */
import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DurableStorage } from '@meshraft/storage';
import { openFileStorage } from '@meshraft/storage/file';
import { openIndexedDbStorage } from '@meshraft/storage/indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_TIMING, testCluster, waitFor, type TestCluster } from './__tests__/cluster.js';
import { reopenableStorage } from './__tests__/reopenable-storage.js';

let cluster: TestCluster | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

type Backend = { name: string; make: () => Promise<() => Promise<DurableStorage>> };

let idbCount = 0;
const backends: Backend[] = [
  {
    name: 'files',
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'meshraft-founder-'));
      dirs.push(dir);
      return () => openFileStorage(dir, { fsync: false });
    },
  },
  {
    name: 'IndexedDB',
    make: async () => {
      const name = `founder-restart-${++idbCount}`;
      return () => openIndexedDbStorage({ cluster: 'test', name, locks: null });
    },
  },
  {
    name: 'the shared storage view (memory)',
    make: async () => {
      const disk = reopenableStorage();
      return async () => disk.open();
    },
  },
];

const SNAPSHOT_ENTRIES = 8;

describe.each(backends)('a founder restarted after compaction, over $name', ({ make }) => {
  it('counts every voter: cut off from the others it does not lead, and healed it follows', async () => {
    cluster = testCluster(17);
    const c = cluster;
    const open = await make();
    const extra = { snapshotEntries: SNAPSHOT_ENTRIES };
    const a = await c.start('a', { ...extra, bootstrap: true, storage: await open() });
    await c.start('b', extra);
    await c.start('c', extra);
    await waitFor(() => a.status().members.filter((m) => m.role === 'voter').length === 3, 'three voters');
    // Well past the last conf change, so the compaction drops every one of them from the log.
    for (let i = 0; i < 4 * SNAPSHOT_ENTRIES; i++) await a.propose({ type: 'add', delta: 1 });
    const applied = a.status().applied;
    await a.stop();

    const storage = await open();
    expect(storage.snapshot().metadata.index).toBeGreaterThan(SNAPSHOT_ENTRIES);
    expect([...storage.initialState().confState.voters].sort()).toEqual(['a', 'b', 'c']);
    c.net.cut('a', 'b');
    c.net.cut('a', 'c');
    const restarted = await c.start('a', { ...extra, storage });
    const roles: string[] = [];
    restarted.on('role', (r) => roles.push(r));
    // Twenty election timeouts alone: a node that counted only its own vote leads within one.
    const electionMs = FAST_TIMING.tickMs * FAST_TIMING.electionTicks;
    await new Promise((r) => setTimeout(r, 20 * electionMs));
    expect(roles).not.toContain('leader');
    expect(restarted.status().role).not.toBe('leader');

    c.net.heal('a', 'b');
    c.net.heal('a', 'c');
    const leader = await c.leader();
    expect(await leader.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 4 * SNAPSHOT_ENTRIES + 1 });
    await waitFor(() => restarted.status().applied > applied, 'the restarted founder to catch up');
    expect((await restarted.read({ type: 'get' })).value).toBe(4 * SNAPSHOT_ENTRIES + 1);
  });

});
