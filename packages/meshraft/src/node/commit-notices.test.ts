/**
 * Commit-only appends are held briefly and dropped when a later append to the same peer carries
 * the commit first. Unit tests on a fake clock, then a three-node cluster counting frames.
 */
import { seededRandom } from '@meshraft/core';
import { createMemoryStorage } from '@meshraft/storage';
import { createMemoryNetwork } from '@meshraft/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounterStateMachine } from '../kv/index.js';
import { CommitNotices } from './commit-notices.js';
import { createNode } from './create-node.js';
import { FAST_TIMING, waitFor, type CounterNode } from './__tests__/cluster.js';
import { FakeTimers } from './__tests__/fake-timers.js';
import type { Message } from './raft-core.js';

const app = (to: string, commit: number, entries = 0): Message => ({
  type: 'app', from: 'a', to, term: 2, index: 5, logTerm: 2, commit,
  entries: Array.from({ length: entries }, (_, i) => ({ term: 2, index: 6 + i, type: 0, data: new Uint8Array() })),
} as Message);

function notices(delayMs = 2): { sent: Message[]; timers: FakeTimers; n: CommitNotices } {
  const sent: Message[] = [];
  const timers = new FakeTimers();
  return { sent, timers, n: new CommitNotices(timers, delayMs, (m) => sent.push(m)) };
}

describe('CommitNotices', () => {
  it('sends an append with entries, and anything but an append, at once', () => {
    const { sent, n } = notices();
    n.send(app('b', 3, 1));
    n.send({ type: 'heartbeat', from: 'a', to: 'b', term: 2, commit: 3, context: null });
    expect(sent.map((m) => m.type)).toEqual(['app', 'heartbeat']);
  });

  it('holds a commit-only append for the delay, then sends the newest one held', async () => {
    const { sent, timers, n } = notices();
    n.send(app('b', 3));
    n.send(app('b', 4));
    await timers.advance(1);
    expect(sent).toEqual([]);
    await timers.advance(1);
    expect(sent).toEqual([app('b', 4)]);
  });

  it('drops a held notice when an append with entries goes to that peer first, not to others', async () => {
    const { sent, timers, n } = notices();
    n.send(app('b', 3));
    n.send(app('c', 3));
    n.send(app('b', 3, 1));
    await timers.advance(5);
    expect(sent).toEqual([app('b', 3, 1), app('c', 3)]);
  });

  it('sends at once the notice that commits what a follower forwarded, then holds again', async () => {
    const { sent, timers, n } = notices();
    n.forwarded('b', 7);
    n.send(app('b', 6)); // not yet the forwarded entry: held
    n.send(app('c', 7)); // c forwarded nothing: held
    expect(sent).toEqual([]);
    n.send(app('b', 7));
    expect(sent).toEqual([app('b', 7)]);
    n.send(app('b', 8)); // b waits for nothing now
    await timers.advance(5);
    expect(sent).toEqual([app('b', 7), app('c', 7), app('b', 8)]);
  });

  it('sends everything at once with delay 0, and nothing held after clear()', async () => {
    const zero = notices(0);
    zero.n.send(app('b', 3));
    expect(zero.sent).toEqual([app('b', 3)]);
    const { sent, timers, n } = notices();
    n.send(app('b', 3));
    n.clear();
    await timers.advance(5);
    expect(sent).toEqual([]);
  });
});

describe('commit notices in a cluster', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((s) => s()));
  });

  /** Frames delivered per write while one client writes 100 times in a row to the leader. */
  async function framesPerWrite(commitNoticeDelayMs: number): Promise<{ perWrite: number; followersApplied: boolean }> {
    const net = createMemoryNetwork({ latencyMs: 1 });
    const nodes: CounterNode[] = [];
    for (const [i, id] of ['a', 'b', 'c'].entries()) {
      const node = await createNode({
        cluster: 'notices', id, storage: createMemoryStorage(), transport: (nid) => net.transport(nid),
        stateMachine: createCounterStateMachine(), bootstrap: { voters: ['a', 'b', 'c'] },
        // Heartbeats every 100 ms, so they hardly count among the frames of the writes.
        timing: { ...FAST_TIMING, heartbeatTicks: 10, electionTicks: 30 }, random: seededRandom(7 + i), commitNoticeDelayMs,
      });
      nodes.push(node);
      stops.push(() => node.stop());
    }
    const leader = await waitFor(() => nodes.find((x) => x.status().role === 'leader' && nodes.every((y) => y.status().leader === x.id)), 'a leader');
    await leader.propose({ type: 'add', delta: 0 }); // settle the election's traffic
    const before = net.stats().delivered;
    const writes = 100;
    for (let i = 0; i < writes; i++) await leader.propose({ type: 'add', delta: 1 });
    const perWrite = (net.stats().delivered - before) / writes;
    // With no further write, the last commit still reaches the followers.
    const last = leader.status().applied;
    const followersApplied = await waitFor(() => nodes.every((x) => x.status().applied >= last), 'followers to apply the last write', 5000);
    return { perWrite, followersApplied };
  }

  it('a write costs two appends and two acks, not also two notices and their acks', async () => {
    const held = await framesPerWrite(2);
    const eager = await framesPerWrite(0);
    expect(held.followersApplied && eager.followersApplied).toBe(true);
    expect(eager.perWrite).toBeGreaterThan(7);
    expect(held.perWrite).toBeLessThan(5.5);
  });
});
