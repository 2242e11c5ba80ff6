/** Catching up a follower with a chunked snapshot (Raft §7, InstallSnapshot). */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory-storage.js';
import type { Message, SnapshotMessage } from './messages.js';
import { seededRandom } from './random.js';
import { RawNode } from './raw-node.js';
import { EntryType } from './types.js';
import { ProgressState } from './progress.js';
import { Network, confState, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

/** a leads; c misses 30 entries that a then compacts away. */
function laggingFollower(opts = {}): Network {
  const net = new Network(ABC, { snapshotChunkSize: 16, ...opts }, 1, confState(ABC), 'snapshot');
  net.elect('a');
  net.isolate('c');
  for (let i = 0; i < 30; i++) net.node('a').propose(enc(`e${i}`));
  net.stabilize();
  net.compact('a');
  net.compact('b');
  return net;
}

const want = Array.from({ length: 30 }, (_, i) => `e${i}`);

describe('snapshots (§7)', () => {
  it('a follower behind the compacted log gets the snapshot in chunks, then the log', () => {
    const net = laggingFollower();
    const chunks: SnapshotMessage[] = [];
    net.recover();
    net.filter = (m) => {
      if (m.type === 'snapshot') chunks.push(m);
      return true;
    };
    net.tickAll(3);
    expect(chunks.length).toBeGreaterThan(5);
    expect(Math.max(...chunks.map((c) => c.data.length))).toBeLessThanOrEqual(16);
    expect(net.appliedData('c')).toEqual(want);
    net.node('a').propose(enc('after'));
    net.stabilize();
    expect(net.appliedData('c')).toEqual([...want, 'after']);
    expect(net.node('a').status().progress?.c?.state).toBe(ProgressState.Replicate);
  });

  it('resumes from the follower\'s offset after a lost chunk instead of restarting', () => {
    const net = laggingFollower();
    net.recover();
    const dropped = new Set<number>();
    const sentOffsets: number[] = [];
    net.filter = (m: Message) => {
      if (m.type !== 'snapshot') return true;
      sentOffsets.push(m.offset);
      // Lose the chunk at offset 48 the first time it is sent.
      if (m.offset === 48 && !dropped.has(48)) {
        dropped.add(48);
        return false;
      }
      return true;
    };
    net.tickAll(6);
    expect(net.appliedData('c')).toEqual(want);
    expect(dropped.has(48)).toBe(true);
    // Offset 0 was sent once: the transfer resumed at 48.
    expect(sentOffsets.filter((o) => o === 0)).toHaveLength(1);
    expect(sentOffsets.filter((o) => o === 48).length).toBeGreaterThanOrEqual(2);
  });

  it('pipelines at most snapshotChunksInFlight chunks, after a first chunk confirms the transfer', () => {
    const net = laggingFollower({ snapshotChunksInFlight: 3 });
    net.recover();
    let acksAllowed = 1;
    const order: string[] = [];
    net.filter = (m) => {
      if (m.type === 'snapshot') order.push(`chunk@${m.offset}`);
      if (m.type === 'snapshotResp') {
        if (acksAllowed === 0) return false;
        acksAllowed--;
        order.push(`ack@${m.offset}`);
      }
      return true;
    };
    net.tickAll(1);
    // One chunk, its ack, then a window of three; further acks are lost so nothing more goes.
    expect(order).toEqual(['chunk@0', 'ack@16', 'chunk@16', 'chunk@32', 'chunk@48']);
    net.filter = null;
    net.tickAll(6);
    expect(net.appliedData('c')).toEqual(want);
  });

  it('a follower that restarts mid-transfer gets the snapshot again from the start', () => {
    const net = laggingFollower();
    net.recover();
    let chunks = 0;
    net.filter = (m) => !(m.type === 'snapshot' && ++chunks > 3);
    net.tickAll(2);
    expect(net.node('c').raft.incomingSnapshot).not.toBeNull();
    net.restart('c');
    net.filter = null;
    net.tickAll(6);
    expect(net.appliedData('c')).toEqual(want);
  });

  it('a partial snapshot is discarded when the leader changes, and the new leader\'s is installed', () => {
    const net = laggingFollower();
    net.recover();
    // c receives only the first chunks from a; then a is cut off and b takes over.
    let fromA = 0;
    net.filter = (m) => !(m.type === 'snapshot' && m.from === 'a' && ++fromA > 2);
    net.tickAll(2);
    expect(net.appliedData('c')).toEqual([]);
    expect(net.node('c').raft.incomingSnapshot).not.toBeNull();
    net.filter = null;
    net.isolate('a');
    net.tickAll(25);
    expect(net.leader()).toBe('b');
    expect(net.appliedData('c')).toEqual(want);
    expect(net.node('c').status().lead).toBe('b');
  });

  it('a follower that already holds the snapshot\'s last entry keeps its log and skips the transfer', () => {
    const net = new Network(ABC, { snapshotChunkSize: 16 }, 1, confState(ABC), 'snapshot');
    net.elect('a');
    for (let i = 0; i < 10; i++) net.node('a').propose(enc(`e${i}`));
    net.stabilize();
    // c has every entry but falls behind on commit (it misses the leader's last messages).
    const snapIndex = net.compact('a');
    const cLast = net.get('c').storage.lastIndex();
    expect(cLast).toBeGreaterThanOrEqual(snapIndex);
    // Force the leader to think c needs the snapshot.
    const pr = net.node('a').raft.trk.progress.get('c')!;
    pr.becomeProbe();
    pr.next = 1;
    pr.match = 0;
    let chunks = 0;
    net.filter = (m) => {
      if (m.type === 'snapshot') chunks++;
      return true;
    };
    net.tickAll(2);
    expect(chunks).toBeLessThanOrEqual(1);
    expect(net.get('c').storage.lastIndex()).toBe(cLast);
    expect(net.get('c').storage.snapshot().metadata.index).toBe(1);
    expect(net.node('a').status().progress?.c?.state).toBe(ProgressState.Replicate);
  });
});

describe('restarting from a snapshot ahead of the saved commit index', () => {
  // Found by the simulator's pipelined host (`pnpm sim --host pipelined --write-ticks 6 --seed 61`
  // and seed 293 before the fix): a host that applies committed entries before their commit
  // index is on its disk snapshots them and compacts keeping a tail; the restart refused
  // ("applied 5 is past commit 3") because only firstIndex - 1 (here 2) was taken as committed.
  it('takes the snapshot index as committed when the log keeps entries below it', () => {
    const storage = new MemoryStorage({ confState: confState(ABC) });
    storage.append([1, 2, 3, 4, 5].map((index) => ({ index, term: 1, type: EntryType.Normal, data: enc(`e${index}`) })));
    storage.setHardState({ term: 1, vote: 'a', commit: 3 });
    storage.createSnapshot(5, undefined, enc('state as of 5'));
    storage.compact(2);
    const node = new RawNode({ id: 'b', storage, electionTick: 10, heartbeatTick: 1, random: seededRandom(1), applied: 5 });
    expect(node.status()).toMatchObject({ commit: 5, applied: 5, lastIndex: 5 });
    expect(node.hasReady()).toBe(false); // nothing to re-apply
  });
});
