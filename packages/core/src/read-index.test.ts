/** Linearizable reads via ReadIndex (Raft thesis §6.4). */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory-storage.js';
import { ReadIndexDroppedError } from './raft-errors.js';
import { seededRandom } from './random.js';
import { RawNode } from './raw-node.js';
import { EntryType } from './types.js';
import { Network, confState, enc, dec } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

describe('ReadIndex (thesis §6.4)', () => {
  it('the leader serves a read after a heartbeat round confirms its leadership', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('a').propose(enc('x'));
    net.stabilize();
    const commit = net.node('a').status().commit;
    net.node('a').readIndex(enc('r1'));
    // Not before a quorum answered the heartbeat.
    net.handleReady('a');
    expect(net.get('a').readStates).toEqual([]);
    net.stabilize();
    expect(net.get('a').readStates.map((r) => [r.index, dec(r.context)])).toEqual([[commit, 'r1']]);
  });

  it('a leader cut off from the quorum never answers', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.isolate('a');
    net.node('a').readIndex(enc('r1'));
    net.stabilize();
    net.tickAll(3);
    expect(net.get('a').readStates).toEqual([]);
  });

  it('a follower forwards the read to the leader and gets the leader\'s commit index', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('a').propose(enc('x'));
    net.stabilize();
    net.node('b').readIndex(enc('rb'));
    net.stabilize();
    const rs = net.get('b').readStates;
    expect(rs.map((r) => dec(r.context))).toEqual(['rb']);
    expect(rs[0]!.index).toBe(net.node('a').status().commit);
    expect(net.get('a').readStates).toEqual([]);
  });

  it('a new leader holds reads until it commits an entry of its own term', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.tickAll(10);
    net.isolate('a');
    net.tickAll(10);
    net.node('b').campaign();
    // Deliver votes but keep b's first-term entry from committing.
    net.filter = (m) => m.type !== 'appResp';
    net.stabilize();
    expect(net.node('b').status().role).toBe('leader');
    net.node('b').readIndex(enc('early'));
    net.stabilize();
    expect(net.get('b').readStates).toEqual([]);
    net.filter = null;
    net.tickAll(1);
    expect(net.get('b').readStates.map((r) => dec(r.context))).toEqual(['early']);
    expect(net.get('b').readStates[0]!.index).toBe(net.node('b').status().commit);
  });

  it('acks of an earlier round never serve a request registered after it, even under a reused context (FOUND-BUGS 10)', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.node('a').readIndex(enc('r'));
    // Keep a copy of the first round's acks: the network may duplicate or delay them.
    const stale: typeof net.queue = [];
    net.filter = (m) => {
      if (m.type === 'heartbeatResp' && m.context !== null) stale.push(m);
      return true;
    };
    net.stabilize();
    expect(net.get('a').readStates.map((r) => dec(r.context))).toEqual(['r']);
    net.get('a').readStates.length = 0;
    // A new request, then the client asks again with the same context (a retry).
    net.filter = (m) => m.type !== 'heartbeat'; // the new rounds never reach a quorum
    net.node('a').readIndex(enc('mine'));
    net.node('a').readIndex(enc('r'));
    net.handleReady('a');
    net.queue.push(...stale);
    net.stabilize();
    expect(net.get('a').readStates).toEqual([]);
    // Once the new round is acknowledged, both are served.
    net.filter = null;
    net.tickAll(3);
    net.stabilize();
    expect(net.get('a').readStates.map((r) => dec(r.context))).toEqual(['mine', 'r']);
  });

  it('several reads in one round are all served, in order', () => {
    const net = new Network(ABC);
    net.elect('a');
    for (const c of ['1', '2', '3']) net.node('a').readIndex(enc(c));
    net.stabilize();
    expect(net.get('a').readStates.map((r) => dec(r.context))).toEqual(['1', '2', '3']);
  });

  it('a read without a known leader throws a typed error', () => {
    const net = new Network(ABC);
    expect(() => net.node('a').readIndex(enc('x'))).toThrow(ReadIndexDroppedError);
  });
});

describe('ReadIndex on a single voter (thesis §6.4 step 1)', () => {
  // Found by the simulator's pipelined host (`pnpm sim --host pipelined --nodes 1 --seed 270`,
  // also 33, 51, 57, ...): the host applied entry 7 and answered its client before the hard
  // state with commit 7 was durable, crashed, restarted with commit 6 and, as a new leader,
  // answered a read at index 6 at once, missing the acknowledged write.
  it('holds a read until an entry of the leader\'s term commits, even with one voter', () => {
    const storage = new MemoryStorage({ confState: confState(['a']) });
    storage.append([1, 2, 3].map((index) => ({ index, term: 1, type: EntryType.Normal, data: enc(`e${index}`) })));
    storage.setHardState({ term: 1, vote: 'a', commit: 2 }); // entry 3 was committed; commit 3 was not yet saved
    const node = new RawNode({ id: 'a', storage, electionTick: 10, heartbeatTick: 1, random: seededRandom(1) });
    node.campaign();
    expect(node.status()).toMatchObject({ role: 'leader', term: 2, commit: 2 });
    node.readIndex(enc('r'));
    const rd = node.ready();
    expect(rd.readStates).toEqual([]); // before the fix: [{ index: 2 }]
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    node.advance(rd); // the leader's empty entry 4 is durable: it commits, and so does 3
    const after = node.ready();
    expect(after.readStates.map((r) => [r.index, dec(r.context)])).toEqual([[4, 'r']]);
  });
});

describe('a leader demoted to learner (FOUND-BUGS 11)', () => {
  it('does not answer reads alone when the one voter left is another node', () => {
    const net = new Network(['a', 'b']);
    net.elect('a');
    // a demotes itself: joint [b] & [a b], then [b] with learner a. It hands leadership to b with
    // a TimeoutNow; until b acts on it (here: never) a still leads, and only b can confirm that.
    net.filter = (m) => m.type !== 'timeoutNow';
    net.node('a').proposeConfChange({ changes: [{ type: 'addLearner', node: 'a' }] });
    net.stabilize();
    const cs = net.get('a').storage.initialState().confState;
    expect([cs.voters, cs.learners]).toEqual([['b'], ['a']]);
    expect(net.node('a').status().role).toBe('leader');
    net.isolate('b');
    net.node('a').readIndex(enc('alone'));
    net.stabilize();
    // b may be leading a new term by now (the TimeoutNow): an answer from a alone could be stale.
    expect(net.get('a').readStates).toEqual([]);
  });
});
