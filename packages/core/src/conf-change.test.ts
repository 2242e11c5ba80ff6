/** Membership changes: single-server and joint consensus (Raft thesis §4.1–§4.3), learners. */
import { describe, expect, it } from 'vitest';
import { changeConfig, decodeConfChange, encodeConfChange, type ConfChange } from './conf-change.js';
import { InvalidArgumentError, ProposalDroppedError } from './raft-errors.js';
import { Role } from './roles.js';
import { configFromConfState } from './tracker.js';
import { Network, confState, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

function voters(net: Network, id: string): { voters: readonly string[]; out: readonly string[]; learners: readonly string[] } {
  const cs = net.get(id).storage.initialState().confState;
  return { voters: cs.voters, out: cs.votersOutgoing, learners: cs.learners };
}

/** A leader that has committed an entry of its term, ready to take conf changes. */
function cluster(ids = ABC, opts = {}): Network {
  const net = new Network(ids, opts, 1, confState(ids), 'snapshot');
  net.elect('a');
  return net;
}

describe('conf change encoding and rules', () => {
  it('round-trips and rejects malformed input with a typed error', () => {
    const cc: ConfChange = { changes: [{ type: 'addVoter', node: 'd' }], transition: 'explicit' };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(() => decodeConfChange(enc('{'))).toThrow(InvalidArgumentError);
    expect(() => encodeConfChange({ changes: [{ type: 'promote', node: 'd' }] } as unknown as ConfChange)).toThrow(InvalidArgumentError);
  });

  it('the simple path changes at most one voter; joint changes need leaving before the next', () => {
    const cur = configFromConfState(confState(ABC));
    expect(() => changeConfig(cur, { changes: [{ type: 'addVoter', node: 'd' }, { type: 'addVoter', node: 'e' }], transition: 'auto' })).not.toThrow();
    const joint = changeConfig(cur, { changes: [{ type: 'addVoter', node: 'd' }, { type: 'remove', node: 'a' }] });
    expect([...joint.voters.incoming.ids]).toEqual(['b', 'c', 'd']);
    expect([...joint.voters.outgoing.ids]).toEqual(['a', 'b', 'c']);
    expect(joint.autoLeave).toBe(true);
    expect(() => changeConfig(joint, { changes: [{ type: 'addVoter', node: 'e' }] })).toThrow(/joint/);
    const left = changeConfig(joint, { changes: [] });
    expect([...left.voters.outgoing.ids]).toEqual([]);
    expect(() => changeConfig(cur, { changes: [] })).toThrow(/not in a joint/);
    expect(() => changeConfig(cur, { changes: ABC.map((node) => ({ type: 'remove' as const, node })) })).toThrow(/every voter/);
  });

  it('demoting an outgoing voter to learner takes effect when the joint config is left', () => {
    const cur = configFromConfState(confState(ABC));
    const joint = changeConfig(cur, { changes: [{ type: 'addLearner', node: 'c' }, { type: 'addVoter', node: 'd' }] });
    expect([...joint.learnersNext]).toEqual(['c']);
    expect(joint.voters.outgoing.has('c')).toBe(true);
    const left = changeConfig(joint, { changes: [] });
    expect([...left.learners]).toEqual(['c']);
    expect(left.voters.has('c')).toBe(false);
  });
});

describe('single-server changes (thesis §4.1)', () => {
  it('adds a voter that starts empty and learns the log and its membership from the leader', () => {
    const net = cluster();
    net.node('a').propose(enc('before'));
    net.stabilize();
    net.join('d');
    net.node('a').proposeConfChange({ changes: [{ type: 'addVoter', node: 'd' }] });
    net.tickAll(3);
    expect(voters(net, 'a').voters).toEqual(['a', 'b', 'c', 'd']);
    expect(voters(net, 'd').voters).toEqual(['a', 'b', 'c', 'd']);
    expect(net.appliedData('d')).toEqual(['before']);
    // d now counts: with two of four voters cut off, nothing commits.
    net.isolate('c');
    net.isolate('d');
    net.node('a').propose(enc('needs3'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['before']);
  });

  it('the leader refuses a second change while one is unapplied, and before committing in its term', () => {
    const net = new Network(ABC);
    net.node('a').campaign();
    // Elected, but its empty entry is not committed yet.
    net.filter = (m) => m.type !== 'appResp';
    net.stabilize();
    expect(net.node('a').status().role).toBe(Role.Leader);
    expect(() => net.node('a').proposeConfChange({ changes: [{ type: 'addLearner', node: 'd' }] })).toThrow(ProposalDroppedError);
    net.filter = null;
    net.tickAll(1);
    net.get('a').paused = true; // applied stays behind
    net.node('a').proposeConfChange({ changes: [{ type: 'addLearner', node: 'd' }] });
    expect(() => net.node('a').proposeConfChange({ changes: [{ type: 'addLearner', node: 'e' }] })).toThrow(/not applied/);
  });

  it('learners receive the log but neither vote nor campaign, and can be promoted', () => {
    const net = cluster();
    net.join('l');
    net.node('a').proposeConfChange({ changes: [{ type: 'addLearner', node: 'l' }] });
    net.tickAll(2);
    net.node('a').propose(enc('x'));
    net.stabilize();
    expect(net.appliedData('l')).toEqual(['x']);
    expect(voters(net, 'l').learners).toEqual(['l']);
    // Learners never campaign, however long they wait.
    net.isolate('l');
    net.tickAll(50);
    expect(net.node('l').status().role).toBe(Role.Follower);
    net.recover();
    // A commit needs 2 of the 3 voters; the learner's ack does not count.
    net.isolate('b');
    net.isolate('c');
    net.node('a').propose(enc('y'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['x']);
    net.recover();
    net.tickAll(3);
    const lead = net.leader()!;
    net.node(lead).proposeConfChange({ changes: [{ type: 'addVoter', node: 'l' }] });
    net.tickAll(2);
    expect(voters(net, 'l').voters).toContain('l');
    expect(voters(net, 'l').learners).toEqual([]);
  });

  it('a removed leader hands leadership to a caught-up voter, then steps down', () => {
    const net = cluster();
    net.node('a').proposeConfChange({ changes: [{ type: 'remove', node: 'a' }] });
    net.stabilize();
    expect(voters(net, 'b').voters).toEqual(['b', 'c']);
    // The hand-off (TimeoutNow) already elected b: a new term without waiting for a timeout.
    expect(net.node('b').status().role).toBe(Role.Leader);
    expect(net.node('a').status().leadTransferee).toBe('b');
    // a learns b's higher term from the answer to its next heartbeat, and steps down.
    net.tickAll(1);
    expect(net.node('a').status().role).toBe(Role.Follower);
    net.tickAll(30);
    const lead = net.leader();
    expect(lead === 'b' || lead === 'c').toBe(true);
    net.node(lead!).propose(enc('after'));
    net.stabilize();
    expect(net.appliedData('b')).toEqual(['after']);
  });

  it("a removed node's stale messages are ignored: it cannot disrupt the cluster", () => {
    const net = cluster(ABC, { preVote: false, checkQuorum: false });
    net.isolate('c'); // c never learns it was removed
    net.node('a').proposeConfChange({ changes: [{ type: 'remove', node: 'c' }] });
    net.stabilize();
    expect(voters(net, 'a').voters).toEqual(['a', 'b']);
    const term = net.node('a').status().term;
    net.tickAll(40); // c campaigns repeatedly, raising its term
    expect(net.node('c').status().term).toBeGreaterThan(term);
    net.recover();
    net.tickAll(40);
    // Its higher-term vote requests are ignored: a stays leader in its term.
    expect(net.leader()).toBe('a');
    expect(net.node('a').status().term).toBe(term);
    expect(net.node('b').status().term).toBe(term);
  });
});

describe('joint consensus (thesis §4.3)', () => {
  it('replaces all three voters in one joint change and leaves it automatically', () => {
    const net = cluster();
    net.node('a').propose(enc('v1'));
    net.stabilize();
    for (const id of ['d', 'e', 'f']) net.join(id, id.charCodeAt(0));
    net.node('a').proposeConfChange({
      changes: [
        { type: 'addVoter', node: 'd' },
        { type: 'addVoter', node: 'e' },
        { type: 'addVoter', node: 'f' },
        { type: 'remove', node: 'a' },
        { type: 'remove', node: 'b' },
        { type: 'remove', node: 'c' },
      ],
    });
    let sawJoint = false;
    net.onReady = (id) => {
      if (id === 'a' && net.get('a').storage.initialState().confState.votersOutgoing.length > 0) sawJoint = true;
    };
    net.tickAll(3);
    expect(sawJoint).toBe(true);
    // C_new is in force everywhere that applied it; a (not in C_new) stepped down.
    expect(voters(net, 'd')).toMatchObject({ voters: ['d', 'e', 'f'], out: [] });
    expect(net.node('a').status().role).not.toBe(Role.Leader);
    net.tickAll(40);
    const lead = net.leader()!;
    expect(['d', 'e', 'f']).toContain(lead);
    net.node(lead).propose(enc('v2'));
    net.stabilize();
    for (const id of ['d', 'e', 'f']) expect(net.appliedData(id)).toEqual(['v1', 'v2']);
  });

  it('while joint, a commit needs majorities of both the old and the new voters', () => {
    const net = cluster();
    for (const id of ['d', 'e']) net.join(id, id.charCodeAt(0));
    net.node('a').proposeConfChange({
      changes: [
        { type: 'addVoter', node: 'd' },
        { type: 'addVoter', node: 'e' },
        { type: 'remove', node: 'b' },
        { type: 'remove', node: 'c' },
      ],
      transition: 'explicit',
    });
    net.tickAll(3);
    expect(voters(net, 'a')).toMatchObject({ voters: ['a', 'd', 'e'], out: ['a', 'b', 'c'] });
    // New majority (a,d) present, old majority missing (b, c cut): nothing commits.
    net.isolate('b');
    net.isolate('c');
    net.isolate('e');
    net.node('a').propose(enc('x'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual([]);
    net.recover();
    net.tickAll(1);
    expect(net.appliedData('a')).toEqual(['x']);
    // The explicit transition stays joint until asked to leave.
    expect(voters(net, 'a').out).toEqual(['a', 'b', 'c']);
    net.node('a').proposeConfChange({ changes: [] });
    net.tickAll(2);
    expect(voters(net, 'a')).toMatchObject({ voters: ['a', 'd', 'e'], out: [] });
  });

  it('a node restarting mid-joint-change recovers the joint configuration', () => {
    const net = cluster();
    net.join('d', 5);
    net.node('a').proposeConfChange({
      changes: [
        { type: 'addVoter', node: 'd' },
        { type: 'remove', node: 'c' },
      ],
      transition: 'explicit',
    });
    net.tickAll(3);
    expect(voters(net, 'b')).toMatchObject({ voters: ['a', 'b', 'd'], out: ['a', 'b', 'c'] });
    const b = net.restart('b').node;
    // The restarted node decides with the joint config: it knows d and c are both voters.
    expect(b.raft.trk.config.voters.outgoing.ids).toEqual(['a', 'b', 'c']);
    expect(b.raft.trk.config.voters.incoming.ids).toEqual(['a', 'b', 'd']);
    // Restart everything, then elect a leader that must win both majorities.
    for (const id of ['a', 'c', 'd']) net.restart(id);
    net.tickAll(40);
    const lead = net.leader()!;
    expect(lead).not.toBeNull();
    net.node(lead).proposeConfChange({ changes: [] });
    net.tickAll(3);
    expect(voters(net, 'b')).toMatchObject({ voters: ['a', 'b', 'd'], out: [] });
  });
});
