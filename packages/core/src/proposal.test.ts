/** Proposal forwarding and rejection; RawNode input validation. */
import { describe, expect, it } from 'vitest';
import type { Message } from './messages.js';
import { InvalidArgumentError, InvalidConfigError, ProposalDroppedError } from './raft-errors.js';
import { MemoryStorage } from './memory-storage.js';
import { RawNode } from './raw-node.js';
import { Network, confState, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

describe('proposals', () => {
  it('a follower forwards proposals to the leader', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('b').propose(enc('from-b'));
    net.stabilize();
    for (const id of ABC) expect(net.appliedData(id)).toEqual(['from-b']);
  });

  it('with forwarding disabled a follower rejects, naming the leader', () => {
    const net = new Network(ABC, { disableProposalForwarding: true });
    net.elect('a');
    let err: unknown;
    try {
      net.node('b').propose(enc('x'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProposalDroppedError);
    expect(err).toMatchObject({ code: 'PROPOSAL_DROPPED', leader: 'a' });
  });

  it('a node without a leader rejects proposals', () => {
    const net = new Network(ABC);
    expect(() => net.node('a').propose(enc('x'))).toThrow(ProposalDroppedError);
    net.node('a').campaign();
    expect(() => net.node('a').propose(enc('x'))).toThrow(ProposalDroppedError);
  });

  it('a forwarded proposal reaching a node that lost leadership is dropped, not thrown', () => {
    const net = new Network(ABC);
    const fwd: Message = { type: 'prop', from: 'b', to: 'a', term: 0, entries: [{ term: 0, index: 0, type: 0, data: enc('x') }] };
    expect(() => net.node('a').step(fwd)).not.toThrow();
    expect(net.node('a').status().lastIndex).toBe(0);
  });

  it('bad input gets typed errors', () => {
    const net = new Network(ABC);
    expect(() => net.node('a').propose('x' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => net.node('a').step({ type: 'nope' } as unknown as Message)).toThrow(InvalidArgumentError);
    const badApp = { type: 'app', from: 'b', to: 'a', term: 1, index: 0, logTerm: 0, commit: 0, entries: [{ term: 1, index: 1 }] };
    expect(() => net.node('a').step(badApp as unknown as Message)).toThrow(InvalidArgumentError);
    const badHeartbeat = { type: 'heartbeat', from: 'b', to: 'a', term: 1, commit: -1, context: null };
    expect(() => net.node('a').step(badHeartbeat as unknown as Message)).toThrow(InvalidArgumentError);
    // A forwarded conf change that does not decode is dropped like any unservable proposal.
    net.elect('a');
    const badCc: Message = { type: 'prop', from: 'b', to: 'a', term: 0, entries: [{ term: 0, index: 0, type: 1, data: enc('{') }] };
    const last = net.node('a').status().lastIndex;
    expect(() => net.node('a').step(badCc)).not.toThrow();
    expect(net.node('a').status().lastIndex).toBe(last);
    const storage = new MemoryStorage({ confState: confState(ABC) });
    expect(() => new RawNode({ id: '', storage })).toThrow(InvalidConfigError);
    expect(() => new RawNode({ id: 'a', storage, electionTick: 1, heartbeatTick: 1 })).toThrow(InvalidConfigError);
  });

  it('restarts from storage with its term, vote, log and commit', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('a').propose(enc('x'));
    net.stabilize();
    const before = net.node('b').status();
    const b = net.restart('b').node;
    expect(b.status()).toMatchObject({ term: before.term, vote: before.vote, commit: before.commit, lastIndex: before.lastIndex });
    net.tickAll(3);
    net.node('a').propose(enc('y'));
    net.stabilize();
    expect(net.appliedData('b')).toEqual(['x', 'y']);
  });
});
