/**
 * When the host loop snapshots: every `snapshotEntries` applied entries, and (snapshotLogRatio,
 * default 1) only once the entries applied since the last snapshot are at least as large as it.
 * The KV store keeps its MVCC history, so its snapshot grows with every write; counting entries
 * alone re-encodes that whole history every few entries.
 */
import type { Snapshot } from '@meshraft/core';
import { createMemoryStorage } from '@meshraft/storage';
import { createMemoryNetwork } from '@meshraft/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createKvStateMachine, put } from '../kv/index.js';
import { createNode } from './create-node.js';
import { FAST_TIMING, waitFor } from './__tests__/cluster.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

/** Writes `writes` 1 KiB values to one key on a lone voter; returns the snapshots it took. */
async function snapshotsTaken(writes: number, snapshotLogRatio?: number): Promise<Snapshot[]> {
  const storage = createMemoryStorage();
  const taken: Snapshot[] = [];
  const compact = storage.compact.bind(storage);
  storage.compact = (snap) => {
    taken.push(snap);
    return compact(snap);
  };
  const net = createMemoryNetwork();
  const node = await createNode({
    cluster: 'cadence', id: 'a', storage, transport: (id) => net.transport(id), stateMachine: createKvStateMachine(),
    bootstrap: true, timing: FAST_TIMING, snapshotEntries: 5, ...(snapshotLogRatio !== undefined && { snapshotLogRatio }),
  });
  stops.push(() => node.stop());
  await waitFor(() => node.status().role === 'leader', 'the lone voter to lead');
  const value = new Uint8Array(1024).fill(7);
  for (let i = 0; i < writes; i++) await node.propose(put('k', value));
  return taken;
}

describe('snapshot cadence', () => {
  it('counts entries only with snapshotLogRatio 0', async () => {
    const taken = await snapshotsTaken(60, 0);
    expect(taken.length).toBeGreaterThanOrEqual(11);
  });

  it('by default waits until the log since the last snapshot outweighs it', async () => {
    const taken = await snapshotsTaken(60);
    // History doubles between snapshots: about log2(60 / 5) of them, not 60 / 5.
    expect(taken.length).toBeGreaterThanOrEqual(2);
    expect(taken.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < taken.length; i++) {
      const entries = taken[i]!.metadata.index - taken[i - 1]!.metadata.index;
      // Each entry carries a 1 KiB value, so `entries` KiB were applied since the previous one.
      expect(entries * 1024).toBeGreaterThanOrEqual(taken[i - 1]!.data.byteLength * 0.9);
    }
  });

  it('rejects a negative ratio', async () => {
    const net = createMemoryNetwork();
    await expect(
      createNode({
        cluster: 'cadence', id: 'a', storage: createMemoryStorage(), transport: (id) => net.transport(id),
        stateMachine: createKvStateMachine(), bootstrap: true, snapshotLogRatio: -1,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
