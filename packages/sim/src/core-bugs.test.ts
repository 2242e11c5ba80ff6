/**
 * Core bugs the simulator found, each as the smallest RawNode-level reproduction. These are
 * `it.fails`: they pass while the bug is present and turn red once the core is fixed, as a
 * reminder to flip them into ordinary regression tests. Details: packages/sim/FOUND-BUGS.md.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, RawNode, seededRandom, type ConfState } from '@meshraft/core';

describe('core bugs found by the simulator', () => {
  // Bug 1 (liveness): a voter whose configuration lags drops (pre)votes from candidates it does
  // not know as voters yet, so a new voter can never win. Simulator seeds: 1230, 1289, 2492, 2980.
  it.fails('a lagging voter answers a PreVote from a voter it does not know about yet', () => {
    // n5 has applied only up to a config where n4 is a learner; the leader already made n4 a voter.
    const conf: ConfState = { voters: ['n1', 'n2', 'n5'], learners: ['n4'], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const n5 = new RawNode({ id: 'n5', storage: new MemoryStorage({ confState: conf }), electionTick: 10, heartbeatTick: 1, random: seededRandom(1) });
    n5.step({ type: 'preVote', from: 'n4', to: 'n5', term: 1, index: 10, logTerm: 1, transfer: false });
    const rd = n5.ready();
    // etcd answers without checking membership (its own view may be stale); n5 stays silent.
    expect(rd.messages).toContainEqual(expect.objectContaining({ type: 'preVoteResp', to: 'n4', reject: false }));
  });
});
