/**
 * A snapshot that holds a value at etcd's request limit (1.5 MiB): the leader compacts it into
 * real files (fsync on), and a replica that was down catches up from that snapshot and reads the
 * value byte for byte from its own state; after a restart it still has it (from its own files).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork } from '@meshraft/transport';
import { openFileStorage } from '@meshraft/storage/file';
import { afterEach, describe, expect, it } from 'vitest';
import { createKvStateMachine, put, range } from '../kv/index.js';
import { createNode } from './create-node.js';
import { FAST_TIMING, waitFor } from './__tests__/cluster.js';

const VOTERS = { voters: ['a', 'b', 'c'] };
const BIG = new Uint8Array(1.5 * 1024 * 1024).map((_, i) => (i * 31) % 251);
const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s().catch(() => undefined)));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('a snapshot holding a 1.5 MiB value', () => {
  it('is written to files, installed on a lagging replica, and survives its restart', async () => {
    const net = createMemoryNetwork();
    const dirOf = new Map<string, string>();
    for (const id of VOTERS.voters) {
      const d = await mkdtemp(join(tmpdir(), 'meshraft-bigsnap-'));
      dirs.push(d);
      dirOf.set(id, d);
    }
    const start = async (id: string) => {
      const node = await createNode({
        cluster: 'bigsnap', id, storage: await openFileStorage(dirOf.get(id)!), transport: (nid) => net.transport(nid),
        stateMachine: createKvStateMachine(), bootstrap: VOTERS, timing: FAST_TIMING, snapshotEntries: 5, timeoutMs: 20_000, maxProposalBytes: 2 * 1024 * 1024,
      });
      stops.push(() => node.stop());
      return node;
    };
    const nodes = await Promise.all(VOTERS.voters.map(start));
    const leader = await waitFor(() => nodes.find((n) => n.status().role === 'leader'), 'a leader');
    const lagging = nodes.find((n) => n !== leader)!;
    await lagging.stop();
    await leader.propose(put('big', BIG));
    const bigIndex = leader.status().applied;
    for (let i = 0; i < 12; i++) await leader.propose(put(`k${i}`, 'v'));
    const applied = leader.status().applied;
    const back = await start(lagging.id);
    await waitFor(() => back.status().applied >= applied, 'the lagging replica to catch up');
    const local = async (n: typeof back) => {
      const r = await n.read(range('big'), { consistency: 'local' });
      return r.ok ? r.kvs[0]?.value : undefined;
    };
    expect(Buffer.from((await local(back))!).equals(Buffer.from(BIG))).toBe(true);
    await back.stop();
    const again = await start(lagging.id);
    expect(Buffer.from((await local(again))!).equals(Buffer.from(BIG))).toBe(true);
    // The leader had compacted past the big entry, so the replica can only have had it by snapshot.
    await Promise.all([again, leader].map((n) => n.stop()));
    const leaderDisk = await openFileStorage(dirOf.get(leader.id)!);
    stops.push(() => leaderDisk.close());
    expect(leaderDisk.firstIndex()).toBeGreaterThan(bigIndex);
  }, 60_000);
});
