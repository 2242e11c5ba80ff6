/**
 * Core bugs the simulator found, each as the smallest reproduction, kept as regression tests now
 * that the core fixed them (commit 60e90c7). Details: packages/sim/FOUND-BUGS.md.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, RawNode, seededRandom, type ConfState } from '@meshraft/core';
import { Cluster } from './cluster.js';
import { encodeCommand } from './commands.js';
import { RELIABLE_NETWORK } from './network.js';
import { Xoshiro128 } from './random.js';

describe('core bugs found by the simulator (fixed; regression tests)', () => {
  // Bug 1 (liveness): a voter whose configuration lags drops (pre)votes from candidates it does
  // not know as voters yet, so a new voter can never win. Simulator seeds: 1230, 1289, 2492, 2980.
  it('a lagging voter answers a PreVote from a voter it does not know about yet', () => {
    // n5 has applied only up to a config where n4 is a learner; the leader already made n4 a voter.
    const conf: ConfState = { voters: ['n1', 'n2', 'n5'], learners: ['n4'], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const n5 = new RawNode({ id: 'n5', storage: new MemoryStorage({ confState: conf }), electionTick: 10, heartbeatTick: 1, random: seededRandom(1) });
    n5.step({ type: 'preVote', from: 'n4', to: 'n5', term: 1, index: 10, logTerm: 1, transfer: false });
    const rd = n5.ready();
    // n5's own view may be stale: it must answer (before the fix it stayed silent).
    expect(rd.messages).toContainEqual(expect.objectContaining({ type: 'preVoteResp', to: 'n4', reject: false }));
  });

  // Bug 2 (liveness): a leader that removes itself steps down as soon as it applies C_new; if its
  // one commit broadcast is lost, the others stay in the joint configuration, which needs the old
  // leader's vote, and it refuses them because it holds a longer (uncommitted) log. Seed 758.
  it('the cluster elects a leader after the commit broadcast of a self-removing leader is lost', () => {
    const c = new Cluster({
      ids: ['n1', 'n2', 'n3'],
      voters: ['n1', 'n2'],
      electionTick: 10,
      heartbeatTick: 1,
      sessionTtl: 1000,
      snapshotEvery: 0,
      snapshotChunkSize: 64,
      network: RELIABLE_NETWORK,
      rng: new Xoshiro128(1),
    });
    const round = () => {
      c.now++;
      c.deliver();
      c.tickNodes();
      c.processReadies();
    };
    c.startAll();
    for (let i = 0; i < 100 && c.leader() === undefined; i++) round();
    const old = c.leader()!;
    const stay = c.nodes.find((n) => n.id !== old.id && n.id !== 'n3')!;
    const joiner = c.node('n3');
    for (let i = 0; i < 5; i++) round(); // commit an entry of the leader's term
    // Joint change C_old = {n1 n2} -> C_new = {stay, n3}, left automatically.
    old.raw!.proposeConfChange({ changes: [{ type: 'remove', node: old.id }, { type: 'addVoter', node: 'n3' }] });
    for (let i = 0; i < 50 && old.conf.votersOutgoing.length === 0; i++) round();
    const leaveIndex = old.status()!.lastIndex; // the auto-leave entry
    for (let i = 0; i < 50 && (stay.disk.lastIndex() < leaveIndex || joiner.disk.lastIndex() < leaveIndex); i++) round();
    // Both followers persisted (and acknowledged) the leave entry. Now the old leader's messages
    // are lost while it appends two more entries, commits the leave entry and steps down.
    c.net.cut(old.id, stay.id);
    c.net.cut(old.id, joiner.id);
    old.raw!.propose(encodeCommand({ t: 'mark', id: 'a' }));
    old.raw!.propose(encodeCommand({ t: 'mark', id: 'b' }));
    for (let i = 0; i < 10; i++) round();
    expect(old.status()!.commit).toBeGreaterThanOrEqual(leaveIndex);
    expect(stay.status()!.commit).toBeLessThan(leaveIndex);
    c.net.heal();
    for (let i = 0; i < 300; i++) round();
    // Expected: C_new = {stay, n3} elects a leader and learns that the leave entry committed.
    expect(c.leader()).toBeDefined();
    expect(stay.status()!.commit).toBeGreaterThanOrEqual(leaveIndex);
  });
});
