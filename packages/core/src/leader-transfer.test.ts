/** Leadership transfer (Raft thesis §3.10). */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './raft-errors.js';
import { Role } from './roles.js';
import { Network, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

describe('leadership transfer (thesis §3.10)', () => {
  it('hands leadership to an up-to-date follower at once', () => {
    const net = new Network(ABC);
    net.elect('a');
    const term = net.node('a').status().term;
    net.node('a').transferLeadership('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
    expect(net.node('b').status().term).toBe(term + 1);
    expect(net.node('a').status().lead).toBe('b');
  });

  it('brings a lagging target up to date first, then sends TimeoutNow', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 5; i++) net.node('a').propose(enc(`${i}`));
    net.stabilize();
    net.recover();
    const sent: string[] = [];
    net.filter = (m) => {
      if (m.from === 'a' && m.to === 'c') sent.push(m.type);
      return true;
    };
    net.node('a').transferLeadership('c');
    net.stabilize();
    expect(net.leader()).toBe('c');
    expect(sent.indexOf('app')).toBeLessThan(sent.indexOf('timeoutNow'));
    expect(net.appliedData('c')).toEqual(['0', '1', '2', '3', '4']);
  });

  it('refuses proposals while transferring and aborts after an election timeout', () => {
    const net = new Network(ABC, { electionTick: 10 });
    net.elect('a');
    net.isolate('c');
    net.node('a').transferLeadership('c');
    net.stabilize();
    expect(net.node('a').status().leadTransferee).toBe('c');
    expect(() => net.node('a').propose(enc('x'))).toThrow(ProposalDroppedError);
    net.tickAll(10);
    expect(net.node('a').status()).toMatchObject({ role: Role.Leader, leadTransferee: null });
    net.node('a').propose(enc('x'));
    net.stabilize();
    expect(net.appliedData('b')).toEqual(['x']);
  });

  it('a transfer requested on a follower is forwarded to the leader', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('b').transferLeadership('c');
    net.stabilize();
    expect(net.leader()).toBe('c');
  });

  it('the target campaigns even while a lease (CheckQuorum) is held by the others', () => {
    const net = new Network(ABC, { checkQuorum: true, preVote: true });
    net.elect('a');
    net.tickAll(1);
    net.node('a').transferLeadership('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
  });
});
