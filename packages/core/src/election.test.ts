/** Elections with PreVote and CheckQuorum over the in-process network (thesis §4.2.3, §6.2, §9.6). */
import { describe, expect, it } from 'vitest';
import { Role } from './roles.js';
import { Network, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

describe('leader election', () => {
  it('elects exactly one leader from timeouts alone, and the others follow it', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const net = new Network(ABC, {}, seed);
      for (let i = 0; i < 60 && net.leader() === null; i++) net.tickAll();
      const lead = net.leader();
      expect(lead, `seed ${seed}`).not.toBeNull();
      for (const id of ABC) expect(net.node(id).status().lead, `seed ${seed}`).toBe(lead);
    }
  });

  it('a candidate with a stale log cannot win (§5.4.1)', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.isolate('c');
    net.node('a').propose(enc('x'));
    net.stabilize();
    net.recover();
    net.isolate('a');
    // c's log lacks 'x': b refuses it, so c cannot become leader.
    net.elect('c');
    expect(net.node('c').status().role).not.toBe(Role.Leader);
    net.elect('b');
    expect(net.leader()).toBe('b');
  });

  it('a single-node cluster elects itself and commits alone', () => {
    const net = new Network(['a']);
    net.tickAll(25);
    expect(net.leader()).toBe('a');
    net.node('a').propose(enc('solo'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['solo']);
  });
});

describe('PreVote (thesis §9.6)', () => {
  it('a partitioned node does not inflate its term, and rejoining does not depose the leader', () => {
    const net = new Network(ABC);
    net.elect('a');
    const term = net.node('a').status().term;
    net.isolate('c');
    net.tickAll(100);
    // Only pre-votes went out: c's term did not move.
    expect(net.node('c').status().term).toBe(term);
    expect(net.node('c').status().role).toBe(Role.PreCandidate);
    net.recover();
    net.tickAll(5);
    expect(net.leader()).toBe('a');
    expect(net.node('a').status().term).toBe(term);
    expect(net.node('c').status()).toMatchObject({ role: Role.Follower, lead: 'a' });
  });

  it('without PreVote and CheckQuorum, the same rejoining node does depose the leader', () => {
    const net = new Network(ABC, { preVote: false, checkQuorum: false });
    net.elect('a');
    const term = net.node('a').status().term;
    net.isolate('c');
    net.tickAll(50);
    expect(net.node('c').status().term).toBeGreaterThan(term + 1);
    net.recover();
    // c's next campaign carries its inflated term: a must step down to it.
    net.tickAll(20);
    expect(net.node('a').status().term).toBeGreaterThan(term + 1);
  });
});

describe('CheckQuorum (thesis §6.2)', () => {
  it('a leader that cannot reach a quorum steps down within an election timeout', () => {
    const net = new Network(ABC, { preVote: true, checkQuorum: true, electionTick: 10 });
    net.elect('a');
    net.isolate('a');
    net.tickAll(10);
    expect(net.node('a').status().role).toBe(Role.Leader);
    net.tickAll(11);
    expect(net.node('a').status().role).toBe(Role.Follower);
  });

  it('followers that heard from the leader recently ignore votes from a higher term (lease)', () => {
    // PreVote off so c really campaigns with a higher term.
    const net = new Network(ABC, { preVote: false, checkQuorum: true });
    net.elect('a');
    const term = net.node('a').status().term;
    net.node('c').campaign();
    net.stabilize();
    expect(net.leader()).toBe('a');
    expect(net.node('a').status().term).toBe(term);
    expect(net.node('b').status().term).toBe(term);
    // c rejoins as follower once it hears the leader's (lower-term) heartbeat answer path.
    net.tickAll(30);
    expect(net.leader()).not.toBeNull();
  });

  it('after the lease expires, followers do vote for a new candidate', () => {
    const net = new Network(ABC, { preVote: false, checkQuorum: true });
    net.elect('a');
    net.isolate('a');
    net.tickAll(25);
    expect(net.leader()).not.toBe('a');
    const lead = net.leader();
    expect(lead === 'b' || lead === 'c').toBe(true);
  });
});
