import { EntryType, type Entry, type HardState } from '@meshraft/core';
import type { StorageUpdate } from '@meshraft/storage';
import { describe, expect, it } from 'vitest';
import { flush } from './__tests__/fake-timers.js';
import { mergeEntries, WriteLane, type WriteJob } from './write-lane.js';

const e = (index: number, term = 1): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });
const hs = (commit: number, term = 1): HardState => ({ term, vote: 'a', commit });

/** A lane over a save() the test completes by hand; records saves, completions and errors. */
function harness() {
  const log: string[] = [];
  const saves: StorageUpdate[] = [];
  const gates: { resolve(): void; reject(err: Error): void }[] = [];
  const lane = new WriteLane(hs(0), {
    save: (u) => {
      saves.push(u);
      log.push(`save ${saves.length}`);
      return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    },
    onError: (err) => log.push(`error ${(err as Error).message}`),
    now: () => 0,
  });
  const job = (name: string, parts: Partial<WriteJob>): WriteJob => ({
    entries: [],
    mustWrite: true,
    ...parts,
    after: () => void log.push(`after ${name}`),
  });
  const complete = async (): Promise<void> => {
    gates.shift()?.resolve();
    await flush();
  };
  const fail = async (msg: string): Promise<void> => {
    gates.shift()?.reject(new Error(msg));
    await flush();
  };
  return { lane, log, saves, job, complete, fail };
}

describe('mergeEntries', () => {
  it('appends contiguous lists and lets a later list truncate what it overlaps', () => {
    expect(mergeEntries([[e(1), e(2)], [], [e(3)]])).toEqual([e(1), e(2), e(3)]);
    expect(mergeEntries([[e(1), e(2), e(3)], [e(2, 2)]])).toEqual([e(1), e(2, 2)]);
    // Below everything queued: the later list alone (storage truncates below as usual).
    expect(mergeEntries([[e(5), e(6)], [e(3, 2), e(4, 2)]])).toEqual([e(3, 2), e(4, 2)]);
  });
});

describe('WriteLane', () => {
  it('keeps one write in flight and merges everything queued behind it into the next', async () => {
    const { lane, log, saves, job, complete } = harness();
    lane.write(job('1', { entries: [e(1)], hardState: hs(0) }));
    await flush();
    lane.write(job('2', { entries: [e(2)] }));
    lane.write(job('3', { entries: [e(3)], hardState: hs(2) }));
    await flush();
    expect(saves).toHaveLength(1);
    await complete();
    expect(saves[1]).toEqual({ entries: [e(2), e(3)], hardState: hs(2) });
    expect(log).toEqual(['save 1', 'after 1', 'save 2']);
    await complete();
    expect(log.slice(-2)).toEqual(['after 2', 'after 3']);
    expect(lane.idle).toBe(true);
    expect(lane.durableHardState).toEqual(hs(2));
  });

  it('defers a commit-only hard state to the next write, or to flushDeferred', async () => {
    const { lane, log, saves, job, complete } = harness();
    lane.write(job('c', { hardState: hs(1), mustWrite: false }));
    await flush();
    expect(saves).toHaveLength(0);
    expect(log).toEqual(['after c']);
    lane.write(job('c2', { hardState: hs(2), mustWrite: false }));
    await flush();
    const flushed = lane.flushDeferred();
    await flush();
    expect(saves).toEqual([{ hardState: hs(2) }]);
    await complete();
    await flushed;
    expect(lane.durableHardState).toEqual(hs(2));
  });

  it('never merges across an exclusive job, and runs tasks in order between writes', async () => {
    const { lane, log, saves, job, complete } = harness();
    lane.write(job('1', { entries: [e(1)] }));
    lane.write(job('x', { entries: [e(2)], exclusive: true }));
    lane.task({ run: async () => void log.push('task') });
    lane.write(job('3', { entries: [e(3)] }));
    await flush();
    await complete();
    await complete();
    await complete();
    expect(saves.map((u) => u.entries?.map((x) => x.index))).toEqual([[1], [2], [3]]);
    expect(log).toEqual(['save 1', 'after 1', 'save 2', 'after x', 'task', 'save 3', 'after 3']);
  });

  it('after a failed write it writes nothing more and completes no later job', async () => {
    const { lane, log, saves, job, fail } = harness();
    lane.write(job('1', { entries: [e(1)] }));
    await flush();
    lane.write(job('2', { entries: [e(2)] }));
    await fail('disk full');
    lane.write(job('3', { entries: [e(3)] }));
    await flush();
    await lane.drained();
    expect(saves).toHaveLength(1);
    expect(log).toEqual(['save 1', 'error disk full']);
    await lane.flushDeferred();
    expect(saves).toHaveLength(1);
  });
});
