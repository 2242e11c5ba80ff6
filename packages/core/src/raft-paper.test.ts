/**
 * Tests named after the Raft paper section they check (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", extended version), in the spirit of etcd's
 * raft_paper_test.go. PreVote and CheckQuorum are off here so the plain protocol is tested.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from './messages.js';
import { MemoryStorage } from './memory-storage.js';
import { seededRandom } from './random.js';
import { RawNode } from './raw-node.js';
import { Role } from './roles.js';
import { app, ent, newNode, persist, storageWith, takeMsgs, vote } from './__tests__/helpers.js';
import { Network, enc } from './__tests__/network.js';

const plain = { preVote: false, checkQuorum: false };
const ABC = ['a', 'b', 'c'];

describe('§5.1 Raft basics', () => {
  it('a node seeing a higher term adopts it and becomes follower (any role)', () => {
    for (const role of [Role.Follower, Role.Candidate, Role.Leader]) {
      const n = newNode('a', ABC, plain);
      if (role === Role.Candidate) n.campaign();
      if (role === Role.Leader) {
        n.campaign();
        n.step({ type: 'voteResp', from: 'b', to: 'a', term: 1, reject: false });
      }
      expect(n.status().role).toBe(role);
      n.step(app('b', 'a', 5, 0, 0, [], 0));
      expect(n.status()).toMatchObject({ role: Role.Follower, term: 5, lead: 'b' });
    }
  });

  it('rejects (ignores) requests with a stale term', () => {
    const n = newNode('a', ABC, { ...plain, hs: { term: 3, vote: null, commit: 0 } });
    n.step(app('b', 'a', 2, 0, 0, [ent(2, 1, 'x')], 0));
    expect(n.status()).toMatchObject({ term: 3, lead: null, lastIndex: 0 });
  });
});

describe('§5.2 Leader election', () => {
  it('a follower that hears nothing for an election timeout starts an election', () => {
    const n = newNode('a', ABC, plain);
    for (let i = 0; i < 20; i++) n.tick();
    expect(n.status()).toMatchObject({ role: Role.Candidate, term: 1, vote: 'a' });
    const msgs = takeMsgs(n).filter((m) => m.type === 'vote');
    expect(msgs.map((m) => m.to).sort()).toEqual(['b', 'c']);
  });

  it('a leader sends heartbeats every heartbeatTick', () => {
    const n = newNode('a', ABC, { ...plain, heartbeatTick: 1 });
    n.campaign();
    n.step({ type: 'voteResp', from: 'b', to: 'a', term: 1, reject: false });
    takeMsgs(n);
    n.tick();
    expect(takeMsgs(n).filter((m) => m.type === 'heartbeat').map((m) => m.to).sort()).toEqual(['b', 'c']);
  });

  it('a candidate wins with votes from a majority, loses with a majority of rejections', () => {
    const cases: [Record<string, boolean>, Role][] = [
      [{ b: true }, Role.Leader],
      [{ b: false }, Role.Candidate],
      [{ b: false, c: false }, Role.Follower],
      [{ b: false, c: true }, Role.Leader],
    ];
    for (const [votes, want] of cases) {
      const n = newNode('a', ABC, plain);
      n.campaign();
      for (const [from, granted] of Object.entries(votes)) {
        n.step({ type: 'voteResp', from, to: 'a', term: 1, reject: !granted });
      }
      expect(n.status().role).toBe(want);
    }
  });

  it('each server votes for at most one candidate per term, first come first served', () => {
    const n = newNode('a', ABC, plain);
    n.step(vote('b', 'a', 1, 0, 0));
    n.step(vote('c', 'a', 1, 0, 0));
    const resps = takeMsgs(n).filter((m) => m.type === 'voteResp');
    expect(resps.map((m) => [m.to, m.type === 'voteResp' && m.reject])).toEqual([
      ['b', false],
      ['c', true],
    ]);
    expect(n.status().vote).toBe('b');
  });

  it('a candidate that hears AppendEntries from a leader of its term steps down', () => {
    const n = newNode('a', ABC, plain);
    n.campaign();
    n.step(app('b', 'a', 1, 0, 0, [], 0));
    expect(n.status()).toMatchObject({ role: Role.Follower, lead: 'b', term: 1 });
  });

  it('election timeouts are randomized in [electionTick, 2*electionTick) from the injected source', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const n = new RawNode({ id: 'a', storage: storageWith(ABC), random: seededRandom(seed), ...plain, electionTick: 10 });
      let ticks = 0;
      while (n.status().role === Role.Follower) {
        n.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('a split vote ends in a new election with a higher term', () => {
    const n = newNode('a', ABC, plain);
    n.campaign();
    expect(n.status().term).toBe(1);
    for (let i = 0; i < 20; i++) n.tick();
    expect(n.status()).toMatchObject({ role: Role.Candidate, term: 2 });
  });
});

describe('§5.3 Log replication', () => {
  it('the leader appends a proposal, replicates it, and commits once a majority stored it', () => {
    const net = new Network(ABC, plain);
    net.elect('a');
    net.node('a').propose(enc('x'));
    const lead = net.node('a');
    net.handleReady('a');
    expect(lead.status().commit).toBe(1); // the new-term empty entry only
    net.deliverAll(); // MsgApp to b and c
    net.handleReady('b');
    net.deliverAll(); // b's ack
    expect(lead.status().commit).toBe(2);
    net.stabilize();
    for (const id of ABC) expect(net.appliedData(id)).toEqual(['x']);
  });

  it('a follower rejects AppendEntries whose previous entry it does not have (consistency check)', () => {
    const n = newNode('b', ABC, { ...plain, terms: [1, 1], hs: { term: 2, vote: null, commit: 0 } });
    n.step(app('a', 'b', 2, 2, 2, [ent(2, 3)], 0));
    const resp = takeMsgs(n).find((m) => m.type === 'appResp');
    expect(resp).toMatchObject({ reject: true, index: 2, rejectHint: 2, logTerm: 1 });
  });

  it('a follower deletes conflicting entries and appends the leader\'s', () => {
    const storage = storageWith(ABC, [1, 1, 2, 2], { term: 3, vote: null, commit: 1 });
    const n = new RawNode({ id: 'b', storage, ...plain });
    n.step(app('a', 'b', 3, 2, 1, [ent(3, 3, 'p'), ent(3, 4, 'q')], 2));
    persist(n, storage);
    expect(storage.term(3)).toBe(3);
    expect(storage.term(4)).toBe(3);
    expect(n.status().commit).toBe(2);
  });

  it('the leader brings divergent follower logs in line (Figure 7)', () => {
    // Leader log terms (Figure 7, top): 1 1 1 4 4 5 5 6 6 6.
    const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: number[][] = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a) missing one
      [1, 1, 1, 4], // (b) missing many
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c) an extra entry
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra entries from term 7
      [1, 1, 1, 4, 4, 4, 4], // (e) extra entries of term 4
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f) entries of terms 2 and 3
    ];
    for (const fTerms of followers) {
      const sl = storageWith(ABC, leaderTerms, { term: 8, vote: 'a', commit: 0 });
      const sf = storageWith(ABC, fTerms, { term: 7, vote: null, commit: 0 });
      const lead = new RawNode({ id: 'a', storage: sl, ...plain });
      const fol = new RawNode({ id: 'b', storage: sf, ...plain });
      // a becomes leader of term 9 with c's vote (b may refuse: its log can be "newer").
      lead.campaign();
      persist(lead, sl);
      lead.step({ type: 'voteResp', from: 'c', to: 'a', term: 9, reject: false });
      let msgs = persist(lead, sl);
      for (let round = 0; round < 50 && msgs.length > 0; round++) {
        const toB = msgs.filter((m) => m.to === 'b');
        for (const m of toB) fol.step(m);
        const back = persist(fol, sf);
        for (const m of back) lead.step(m);
        msgs = persist(lead, sl);
      }
      expect(lead.status().role).toBe(Role.Leader);
      expect(sf.lastIndex()).toBe(sl.lastIndex());
      for (let i = 1; i <= sl.lastIndex(); i++) expect(sf.term(i)).toBe(sl.term(i));
    }
  });
});

describe('§5.4.1 Election restriction', () => {
  it('a voter denies its vote to a candidate whose log is less up-to-date', () => {
    // Voter log: terms 1 2 2. Candidates: (lastIndex, lastTerm) -> granted?
    const cases: [number, number, boolean][] = [
      [3, 2, true], // same
      [4, 2, true], // longer, same term
      [2, 2, false], // shorter, same term
      [1, 3, true], // higher last term wins regardless of length
      [5, 1, false], // lower last term loses regardless of length
    ];
    for (const [index, logTerm, granted] of cases) {
      const n = newNode('a', ABC, { ...plain, terms: [1, 2, 2], hs: { term: 2, vote: null, commit: 0 } });
      n.step(vote('b', 'a', 3, index, logTerm));
      const resp = takeMsgs(n).find((m) => m.type === 'voteResp');
      expect(resp !== undefined && resp.type === 'voteResp' && !resp.reject).toBe(granted);
    }
  });
});

describe('§5.4.2 Committing entries from previous terms', () => {
  it('a new leader appends an empty entry of its term and does not count replicas of old entries', () => {
    // a has an uncommitted entry from term 1; as leader of term 2 it must not commit it by
    // counting replicas until an entry of term 2 is replicated.
    const sa = storageWith(ABC, [1, 1], { term: 1, vote: null, commit: 1 });
    const a = new RawNode({ id: 'a', storage: sa, ...plain });
    a.campaign();
    persist(a, sa);
    a.step({ type: 'voteResp', from: 'b', to: 'a', term: 2, reject: false });
    expect(a.status().role).toBe(Role.Leader);
    const msgs = persist(a, sa);
    expect(sa.lastIndex()).toBe(3);
    expect(sa.term(3)).toBe(2);
    const appToB = msgs.find((m): m is Message & { type: 'app' } => m.type === 'app' && m.to === 'b');
    expect(appToB).toBeDefined();
    // b acknowledges only index 2 (the old-term entry): not enough to commit it.
    a.step({ type: 'appResp', from: 'b', to: 'a', term: 2, index: 2, reject: false, rejectHint: 0, logTerm: 0 });
    expect(a.status().commit).toBe(1);
    // Once the term-2 entry is on a majority, it and everything before it commit.
    a.step({ type: 'appResp', from: 'b', to: 'a', term: 2, index: 3, reject: false, rejectHint: 0, logTerm: 0 });
    expect(a.status().commit).toBe(3);
  });

  it('the leader counts its own entry only once persisted (thesis §10.2.1)', () => {
    const s = new MemoryStorage({ confState: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
    const a = new RawNode({ id: 'a', storage: s, ...plain });
    a.campaign();
    expect(a.status().role).toBe(Role.Leader);
    expect(a.status().commit).toBe(0);
    persist(a, s);
    expect(a.status().commit).toBe(1);
  });
});

describe('§5.5 Follower and candidate crashes', () => {
  it('AppendEntries is idempotent: a retried RPC changes nothing and gets the same answer', () => {
    const storage = storageWith(ABC, [1], { term: 2, vote: null, commit: 1 });
    const n = new RawNode({ id: 'b', storage, ...plain });
    const m = app('a', 'b', 2, 1, 1, [ent(2, 2, 'p'), ent(2, 3, 'q')], 1);
    n.step(m);
    const first = persist(n, storage);
    n.step(m);
    const second = persist(n, storage);
    expect(storage.lastIndex()).toBe(3);
    expect(second).toEqual(first);
  });

  it('a follower that restarts keeps what it acknowledged (term, vote and log come from storage)', () => {
    const storage = storageWith(ABC, [], { term: 0, vote: null, commit: 0 });
    const n = new RawNode({ id: 'b', storage, ...plain });
    n.step(vote('a', 'b', 3, 0, 0));
    persist(n, storage);
    const again = new RawNode({ id: 'b', storage, ...plain });
    expect(again.status()).toMatchObject({ term: 3, vote: 'a' });
    again.step(vote('c', 'b', 3, 0, 0));
    const resp = takeMsgs(again).find((x) => x.type === 'voteResp');
    expect(resp).toMatchObject({ to: 'c', reject: true });
  });
});

describe('§8 Client interaction', () => {
  it('a read-only request needs a heartbeat round with a majority before it is answered', () => {
    const net = new Network(ABC, plain);
    net.elect('a');
    net.cut('a', 'b');
    net.cut('a', 'c');
    net.node('a').readIndex(enc('q'));
    net.stabilize();
    expect(net.get('a').readStates).toEqual([]);
    net.recover();
    net.tickAll(1);
    expect(net.get('a').readStates.map((r) => r.index)).toEqual([net.node('a').status().commit]);
  });
});
