/**
 * RawNode.setCampaign: a voter that never starts an election by itself (a hidden browser tab)
 * but keeps its election clock, votes and acknowledges. Sections cite the Raft paper / thesis.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './raft-errors.js';
import { Role } from './roles.js';
import { newNode, takeMsgs, vote } from './__tests__/helpers.js';
import { Network } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

describe('§5.2 elections with campaigning off', () => {
  for (const preVote of [false, true]) {
    it(`a follower never starts an election however many ticks pass (preVote ${preVote})`, () => {
      const n = newNode('a', ABC, { preVote, checkQuorum: true });
      n.setCampaign(false);
      for (let i = 0; i < 10_000; i++) n.tick();
      expect(n.status()).toMatchObject({ role: Role.Follower, term: 0, vote: null });
      expect(takeMsgs(n)).toEqual([]);
    });
  }

  it('still grants its vote once the election timeout (and CheckQuorum lease) has passed (§5.2, thesis §6.2)', () => {
    const n = newNode('a', ABC, { preVote: true, checkQuorum: true, electionTick: 10 });
    n.setCampaign(false);
    n.step({ type: 'heartbeat', from: 'b', to: 'a', term: 1, commit: 0, context: null });
    takeMsgs(n);
    // Inside the lease a pre-vote from c is ignored, as for any follower...
    n.step(vote('c', 'a', 2, 0, 0, true));
    expect(takeMsgs(n).filter((m) => m.type === 'preVoteResp')).toEqual([]);
    // ...and once the clock passed the lease, c gets both its pre-vote and its vote.
    for (let i = 0; i < 10; i++) n.tick();
    expect(n.status().role).toBe(Role.Follower);
    n.step(vote('c', 'a', 2, 0, 0, true));
    expect(takeMsgs(n)).toMatchObject([{ type: 'preVoteResp', to: 'c', term: 2, reject: false }]);
    n.step(vote('c', 'a', 2, 0, 0));
    expect(takeMsgs(n)).toMatchObject([{ type: 'voteResp', to: 'c', term: 2, reject: false }]);
    expect(n.status()).toMatchObject({ role: Role.Follower, term: 2, vote: 'c' });
  });

  it('in a cluster, the non-campaigning voter helps elect another node and replicates its entries', () => {
    const net = new Network(ABC, { preVote: true, checkQuorum: true });
    net.node('a').setCampaign(false);
    net.node('b').setCampaign(false);
    net.tickAll(200);
    expect(net.leader()).toBe('c');
    net.node('c').propose(new TextEncoder().encode('x'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['x']);
    // The leader dies; a and b never campaign, so nobody leads however long they wait.
    net.isolate('c');
    net.tickAll(200);
    expect(net.node('a').status().role).toBe(Role.Follower);
    expect(net.node('b').status().role).toBe(Role.Follower);
  });

  it('re-enabling restores elections: the node campaigns on its next timeout and wins', () => {
    const net = new Network(ABC, { preVote: true, checkQuorum: true });
    net.node('a').setCampaign(false);
    net.node('b').setCampaign(false);
    net.node('c').setCampaign(false);
    net.tickAll(100);
    expect(net.leader()).toBe(null);
    net.node('a').setCampaign(true);
    net.tickAll(1);
    expect(net.leader()).toBe('a');
  });

  it('turning it off abandons a campaign in progress; a leader is unaffected', () => {
    // CheckQuorum off: the lone leader below has no peers answering and would step down.
    const n = newNode('a', ABC, { preVote: true, checkQuorum: false });
    n.campaign();
    expect(n.status().role).toBe(Role.PreCandidate);
    n.setCampaign(false);
    expect(n.status()).toMatchObject({ role: Role.Follower, term: 0 });
    // An explicit campaign() is the application's request and still runs.
    n.campaign();
    n.step({ type: 'preVoteResp', from: 'b', to: 'a', term: 1, reject: false });
    n.step({ type: 'voteResp', from: 'b', to: 'a', term: 1, reject: false });
    expect(n.status().role).toBe(Role.Leader);
    n.setCampaign(false);
    for (let i = 0; i < 100; i++) n.tick();
    expect(n.status()).toMatchObject({ role: Role.Leader, term: 1 });
  });

  it('rejects a non-boolean with InvalidArgumentError', () => {
    const n = newNode('a', ABC);
    expect(() => n.setCampaign('no' as unknown as boolean)).toThrow(InvalidArgumentError);
  });
});

describe('thesis §3.10 leadership transfer to a non-campaigning node', () => {
  it('ignores TimeoutNow; the transfer times out and the leader keeps leading', () => {
    const net = new Network(ABC, { preVote: true, checkQuorum: true, electionTick: 10 });
    net.elect('a');
    const term = net.node('a').status().term;
    net.node('b').setCampaign(false);
    net.node('a').transferLeadership('b');
    net.stabilize();
    expect(net.delivered.some((m) => m.type === 'timeoutNow' && m.to === 'b')).toBe(true);
    expect(net.node('b').status()).toMatchObject({ role: Role.Follower, term });
    expect(net.node('a').status()).toMatchObject({ role: Role.Leader, leadTransferee: 'b' });
    net.tickAll(10);
    expect(net.node('a').status()).toMatchObject({ role: Role.Leader, term, leadTransferee: null });
    // With campaigning back on, the same transfer succeeds.
    net.node('b').setCampaign(true);
    net.node('a').transferLeadership('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
  });
});
