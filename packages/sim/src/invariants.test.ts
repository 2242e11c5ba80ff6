import { describe, expect, it } from 'vitest';
import { digestEntry, formatViolation, SafetyChecker, type EntryFact, type LogView } from './invariants.js';

/** A log given as the term of each index from 1. */
function log(...terms: number[]): LogView {
  return {
    firstIndex: () => 1,
    lastIndex: () => terms.length,
    term: (i) => (i === 0 ? 0 : terms[i - 1]!),
  };
}
const e = (index: number, term: number, cmd = `c${index}`): EntryFact => ({
  index,
  term,
  digest: digestEntry(0, new TextEncoder().encode(cmd)),
});

const FOLLOWER = { term: 1, isLeader: false };

describe('SafetyChecker catches each violated property', () => {
  it('election safety: two leaders in one term, even at different times', () => {
    const c = new SafetyChecker();
    c.observeRole('n1', 2, true, log(1, 2));
    c.observeRole('n1', 3, false, log(1, 2));
    c.at(9, 4);
    c.observeRole('n2', 2, true, log(1, 2));
    expect(c.violations.map((v) => v.kind)).toEqual(['election-safety']);
    expect(c.violations[0]).toMatchObject({ step: 9, tick: 4, nodes: ['n1', 'n2'] });
    expect(formatViolation(c.violations[0]!, 77)).toMatch(/^seed 77 step 9 tick 4: election-safety/);
  });

  it('election quorum: a leader counted only its own vote while the cluster had committed three voters', () => {
    const c = new SafetyChecker();
    c.observeCommittedConf(0, { voters: ['n1'], votersOutgoing: [] });
    c.observeLeader('n1', 2); // the founder alone: its own vote is a majority
    c.observeCommittedConf(5, { voters: ['n1', 'n2'], votersOutgoing: [] });
    c.observeCommittedConf(7, { voters: ['n1', 'n2', 'n3'], votersOutgoing: [] });
    c.observeVoteGranted('n2', 'n3', 3);
    c.observeLeader('n2', 3); // n2 + n3 of three
    expect(c.violations).toEqual([]);
    c.observeLeader('n1', 4); // the issue-17 founder: no vote but its own
    expect(c.violations.map((v) => v.kind)).toEqual(['election-quorum']);
    expect(c.violations[0]!.message).toMatch(/n1 won term 4 with the votes of \[n1\]/);
  });

  it('election quorum: a majority of the configuration before the latest counts, a joint one needs both halves', () => {
    const c = new SafetyChecker();
    c.observeCommittedConf(3, { voters: ['a', 'b', 'c'], votersOutgoing: [] });
    c.observeCommittedConf(9, { voters: ['a', 'b', 'c', 'd'], votersOutgoing: [] });
    c.observeVoteGranted('a', 'b', 2);
    c.observeLeader('a', 2); // a + b: a majority of [a b c], not of [a b c d]
    expect(c.violations).toEqual([]);
    c.observeCommittedConf(12, { voters: ['d', 'e', 'f'], votersOutgoing: ['a', 'b', 'c', 'd'] });
    c.observeVoteGranted('d', 'e', 5);
    c.observeVoteGranted('d', 'f', 5);
    c.observeVoteGranted('d', 'a', 5);
    c.observeLeader('d', 5); // [d e f] and only d + a of [a b c d]; nor a majority of [a b c d] alone
    expect(c.violations.map((v) => v.kind)).toEqual(['election-quorum']);
    c.observeVoteGranted('d', 'b', 6);
    c.observeVoteGranted('d', 'a', 6);
    c.observeVoteGranted('d', 'e', 6);
    c.observeLeader('d', 6); // d + e of [d e f], d + a + b of [a b c d]
    expect(c.violations.map((v) => v.kind)).toEqual(['election-quorum']);
  });

  it('election safety: also from the cheap per-step observation', () => {
    const c = new SafetyChecker();
    c.observeLeader('n1', 5);
    c.observeLeader('n1', 5);
    c.observeLeader('n2', 6);
    expect(c.violations).toEqual([]);
    c.observeLeader('n3', 5);
    expect(c.violations.map((v) => v.kind)).toEqual(['election-safety']);
  });

  it('leader append-only: a leader overwriting its own entries', () => {
    const c = new SafetyChecker();
    c.observeRole('n1', 2, true, log(1, 2, 2));
    c.observePersist('n1', [e(2, 2, 'other')], 1, null, { term: 2, isLeader: true });
    expect(c.violations.map((v) => v.kind)).toContain('leader-append-only');
    expect(c.violations[0]!.indices).toEqual([2, 3]);
  });

  it('leader append-only: allows truncation once the leader has stepped down', () => {
    const c = new SafetyChecker();
    c.observeRole('n1', 2, true, log(1, 2, 2));
    c.observePersist('n1', [e(2, 3, 'new leader')], 1, null, { term: 3, isLeader: false });
    expect(c.violations).toEqual([]);
  });

  it('log matching: same index and term, different command or history', () => {
    const c = new SafetyChecker();
    c.observePersist('n1', [e(1, 1), e(2, 1)], 0, null, FOLLOWER);
    c.observePersist('n2', [e(2, 1, 'forged')], 1, null, FOLLOWER);
    c.observePersist('n3', [e(2, 1)], 5, null, FOLLOWER);
    expect(c.violations.map((v) => v.kind)).toEqual(['log-matching', 'log-matching']);
    expect(c.violations[0]!.nodes).toEqual(['n1', 'n2']);
  });

  it('leader completeness: a new leader lacking a committed entry', () => {
    const c = new SafetyChecker();
    c.observeApply('n1', e(1, 1));
    c.observeApply('n1', e(2, 1));
    c.observeRole('n3', 2, true, log(1));
    expect(c.violations.map((v) => v.kind)).toEqual(['leader-completeness']);
    expect(c.violations[0]!.indices).toEqual([2]);
  });

  it('leader completeness: an entry committed later that the sitting leader does not hold', () => {
    const c = new SafetyChecker();
    c.observeRole('n3', 3, true, log(1, 3));
    c.observeApply('n1', e(1, 1));
    c.observeApply('n1', { ...e(2, 2), appliedInTerm: 2 }); // committed in term 2 at the latest, but the term-3 leader has term 3 there
    expect(c.violations.map((v) => v.kind)).toEqual(['leader-completeness']);
  });

  it('leader completeness: a leader of an old term seen after a newer term committed need not hold it', () => {
    const c = new SafetyChecker();
    c.observeRole('n3', 6, true, log(1, 1, 6));
    c.observeRole('n4', 5, true, log(1, 1)); // a candidate paused in term 5 wins it late
    c.observeApply('n1', e(1, 1));
    c.observeApply('n1', { ...e(2, 1), appliedInTerm: 6 }); // committed by the term-6 leader
    c.observeApply('n1', { ...e(3, 6), appliedInTerm: 6 });
    expect(c.violations).toEqual([]);
  });

  it('state machine safety: different entries applied at one index, and gaps', () => {
    const c = new SafetyChecker();
    c.observeApply('n1', e(1, 1));
    c.observeApply('n2', e(1, 1, 'different'));
    c.observeApply('n2', e(3, 1));
    expect(c.violations.map((v) => v.kind)).toEqual(['state-machine-safety', 'state-machine-safety']);
    expect(c.violations[1]!.indices).toEqual([1, 3]);
  });

  it('vote safety: a changed vote or a term going back across a crash', () => {
    const c = new SafetyChecker();
    c.observeHardState('n1', 3, 'n2');
    c.observeCrash('n1');
    c.observeHardState('n1', 3, 'n3');
    c.observeHardState('n1', 2, null);
    expect(c.violations.map((v) => v.kind)).toEqual(['vote-safety', 'vote-safety']);
  });

  it('exactly-once: a command executed twice, or a retry given a different result', () => {
    const c = new SafetyChecker();
    c.observeExecution('n1', '7:1', 'apply', '{"ok":true}');
    c.observeExecution('n1', '7:1', 'duplicate', '{"ok":true}');
    expect(c.violations).toEqual([]);
    c.observeExecution('n1', '7:1', 'duplicate', '{"ok":false}');
    c.observeExecution('n1', '7:1', 'apply', '{"ok":true}');
    expect(c.violations.map((v) => v.kind)).toEqual(['exactly-once', 'exactly-once']);
    // A restarted node rebuilds its state machine and executes the log again: that is fine.
    c.observeCrash('n1');
    c.observeExecution('n1', '7:1', 'apply', '{"ok":true}');
    expect(c.violations).toHaveLength(2);
  });

  it('stays quiet on a correct run', () => {
    const c = new SafetyChecker();
    c.observeHardState('n1', 1, 'n1');
    c.observePersist('n1', [e(1, 1)], 0, null, FOLLOWER);
    c.observeRole('n1', 1, true, log(1));
    c.observePersist('n1', [e(2, 1)], 1, null, FOLLOWER);
    c.observeRole('n1', 1, true, log(1, 1));
    c.observePersist('n2', [e(1, 1), e(2, 1)], 0, null, FOLLOWER);
    c.observeApply('n1', e(1, 1));
    c.observeApply('n2', e(1, 1));
    c.observeApply('n2', e(2, 1));
    c.observeHardState('n2', 2, 'n2');
    c.observeRole('n2', 2, true, log(1, 1));
    expect(c.violations).toEqual([]);
    expect(c.ok).toBe(true);
  });
});
