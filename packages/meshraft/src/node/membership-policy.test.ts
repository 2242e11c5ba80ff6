import { EMPTY_CONF_STATE, type ConfState } from '@meshraft/core';
import { describe, expect, it } from 'vitest';
import { durableLeaderFor, nextMembershipChange, type MembershipView } from './membership-policy.js';

const opts = { targetVoters: 3, graceMs: 1000, maxLagEntries: 10, aliveMs: 500 };

function view(cs: Partial<ConfState>, over: Partial<MembershipView> = {}): MembershipView {
  return {
    self: 'a',
    confState: { ...EMPTY_CONF_STATE, ...cs },
    commit: 100,
    progress: { b: { match: 100 }, c: { match: 95 }, d: { match: 20 } },
    lastHeard: new Map([
      ['b', 900],
      ['c', 900],
      ['d', 900],
    ]),
    now: 1000,
    leaderSince: 0,
    ...over,
  };
}

describe('nextMembershipChange', () => {
  it('promotes the two most caught-up reachable learners at once, keeping the voter count odd', () => {
    expect(nextMembershipChange(view({ voters: ['a'], learners: ['c', 'b', 'd'] }), opts)).toEqual({
      changes: [
        { type: 'addVoter', node: 'b' },
        { type: 'addVoter', node: 'c' },
      ],
      transition: 'auto',
    });
    // One ready learner is not enough to go from one voter to three: wait rather than run on two.
    expect(nextMembershipChange(view({ voters: ['a'], learners: ['b'] }), opts)).toBeUndefined();
    // From an even count (a voter was removed), one promotion restores an odd count.
    expect(nextMembershipChange(view({ voters: ['a', 'x'], learners: ['b'] }), opts)).toEqual({
      changes: [{ type: 'addVoter', node: 'b' }],
    });
    // Never past the target.
    expect(nextMembershipChange(view({ voters: ['a', 'x', 'y'], learners: ['b', 'c'] }), { ...opts, targetVoters: 3 })).toBeUndefined();
  });

  it('does not promote a lagging or silent learner', () => {
    expect(nextMembershipChange(view({ voters: ['a', 'x'], learners: ['d'] }), opts)).toBeUndefined();
    const silent = view({ voters: ['a', 'x'], learners: ['b'] }, { lastHeard: new Map([['b', 100], ['x', 900]]) });
    expect(nextMembershipChange(silent, opts)).toBeUndefined();
  });

  it('does not promote a learner that has acknowledged nothing yet, however short the log (FOUND-BUGS 13)', () => {
    // A learner added a moment ago has match 0; with a short log it is within maxLagEntries of the
    // commit, but it may still need a snapshot, and a voter that cannot ack yet costs the quorum.
    const fresh = view({ voters: ['a', 'x'], learners: ['b'] }, { commit: 5, progress: { b: { match: 0 }, x: { match: 5 } } });
    expect(nextMembershipChange(fresh, opts)).toBeUndefined();
    const acked = view({ voters: ['a', 'x'], learners: ['b'] }, { commit: 5, progress: { b: { match: 1 }, x: { match: 5 } } });
    expect(nextMembershipChange(acked, opts)).toEqual({ changes: [{ type: 'addVoter', node: 'b' }] });
  });

  it('leaves a full, healthy configuration alone', () => {
    expect(nextMembershipChange(view({ voters: ['a', 'b', 'c'], learners: ['d'] }), opts)).toBeUndefined();
    expect(nextMembershipChange(view({ voters: ['a', 'x', 'y'], learners: ['b'] }, { leaderSince: 500 }), opts)).toBeUndefined();
  });

  it('replaces a voter silent past the grace period in one joint change', () => {
    const v = view({ voters: ['a', 'b', 'x'], learners: ['c'] }, { now: 5000, lastHeard: new Map([['b', 4900], ['c', 4900], ['x', 10]]) });
    expect(nextMembershipChange(v, opts)).toEqual({
      changes: [
        { type: 'remove', node: 'x' },
        { type: 'addVoter', node: 'c' },
      ],
      transition: 'auto',
    });
  });

  it('waits while a joint configuration is in flight', () => {
    expect(nextMembershipChange(view({ voters: ['a'], votersOutgoing: ['a', 'x'], learners: ['b'] }), opts)).toBeUndefined();
  });
});

describe('nextMembershipChange: departures and shrinking', () => {
  const departed = (ids: string[]): Partial<MembershipView> => ({ departed: new Set(ids) });

  it('replaces a departed voter at once (no grace period) when a learner is ready', () => {
    expect(nextMembershipChange(view({ voters: ['a', 'b', 'c'], learners: ['d'] }, { ...departed(['c']), progress: { b: { match: 100 }, c: { match: 100 }, d: { match: 100 } } }), opts)).toEqual({
      changes: [
        { type: 'remove', node: 'c' },
        { type: 'addVoter', node: 'd' },
      ],
      transition: 'auto',
    });
  });

  it('shrinks 3 → 1 in one joint change when a voter departs and no learner is ready', () => {
    expect(nextMembershipChange(view({ voters: ['a', 'b', 'c'] }, departed(['c'])), opts)).toEqual({
      changes: [
        { type: 'remove', node: 'c' },
        { type: 'addLearner', node: 'b' },
      ],
      transition: 'auto',
    });
  });

  it('removes a departed voter of two (it may still ack its own removal) and a departed learner', () => {
    expect(nextMembershipChange(view({ voters: ['a', 'b'] }, departed(['b'])), opts)).toEqual({ changes: [{ type: 'remove', node: 'b' }] });
    expect(nextMembershipChange(view({ voters: ['a'], learners: ['b'] }, departed(['b'])), opts)).toEqual({ changes: [{ type: 'remove', node: 'b' }] });
  });

  it('never shrinks when the reachable voters would not hold a majority', () => {
    // c departed and is gone, b is silent: a alone is no majority of {a, b, c}.
    const lastHeard = new Map([['b', 10], ['c', 10]]);
    expect(nextMembershipChange(view({ voters: ['a', 'b', 'c'] }, { ...departed(['c']), lastHeard }), opts)).toBeUndefined();
    // Two voters, the other silent past the grace period: its removal could never commit.
    expect(nextMembershipChange(view({ voters: ['a', 'x'] }, { now: 5000, lastHeard: new Map([['x', 10]]) }), opts)).toBeUndefined();
    // 5 → 3: e departed, d is silent: e goes and d (not a reachable voter) becomes a learner.
    const five = view({ voters: ['a', 'b', 'c', 'd', 'e'] }, { ...departed(['e']), now: 5000, lastHeard: new Map([['b', 4900], ['c', 4900], ['d', 10], ['e', 4900]]) });
    expect(nextMembershipChange(five, opts)).toEqual({
      changes: [
        { type: 'remove', node: 'e' },
        { type: 'addLearner', node: 'd' },
      ],
      transition: 'auto',
    });
  });

  it('never removes or demotes the leader itself, and leaves departed members that are back alone once no longer departed', () => {
    expect(nextMembershipChange(view({ voters: ['a'] }, departed(['a'])), opts)).toBeUndefined();
    expect(nextMembershipChange(view({ voters: ['a', 'b', 'c'] }), opts)).toBeUndefined();
  });
});

describe('ephemeral members (tabs)', () => {
  it('demotes an ephemeral voter before a durable one when shrinking', () => {
    const v = view({ voters: ['a', 'b', 'c', 'd', 'e'] }, { departed: new Set(['e']), ephemeral: new Set(['c', 'e']), lastHeard: new Map([['b', 900], ['c', 900], ['d', 900], ['e', 900]]), progress: { b: { match: 10 }, c: { match: 100 }, d: { match: 100 } } });
    expect(nextMembershipChange(v, opts)).toEqual({
      changes: [
        { type: 'remove', node: 'e' },
        { type: 'addLearner', node: 'c' },
      ],
      transition: 'auto',
    });
  });

  it('an ephemeral leader names a reachable, caught-up durable voter to take over', () => {
    const base = view({ voters: ['a', 'b', 'c'] }, { ephemeral: new Set(['a', 'b']) });
    expect(durableLeaderFor(base, opts, new Set())).toBe('c');
    expect(durableLeaderFor(base, opts, new Set(['c']))).toBeUndefined(); // c will not campaign
    expect(durableLeaderFor({ ...base, ephemeral: new Set(['b']) }, opts, new Set())).toBeUndefined(); // a is durable itself
    expect(durableLeaderFor({ ...base, ephemeral: new Set(['a', 'b', 'c']) }, opts, new Set())).toBeUndefined();
    expect(durableLeaderFor({ ...base, lastHeard: new Map([['c', 100]]) }, opts, new Set())).toBeUndefined(); // silent
    expect(durableLeaderFor({ ...base, progress: { c: { match: 20 } } }, opts, new Set())).toBeUndefined(); // lagging
  });
});
