import { EMPTY_CONF_STATE, type ConfState } from '@meshraft/core';
import { describe, expect, it } from 'vitest';
import { listWords, stuckStatus, unreachableVoters, type ReachInput } from './quorum-reach.js';

function input(cs: Partial<ConfState>, over: Partial<ReachInput> = {}): ReachInput {
  return {
    self: 'a',
    confState: { ...EMPTY_CONF_STATE, ...cs },
    linked: new Set(['b', 'c', 'd', 'e']),
    lastHeard: new Map([
      ['b', 900],
      ['c', 900],
      ['d', 900],
      ['e', 900],
    ]),
    now: 1000,
    windowMs: 300,
    startedAt: 0,
    ...over,
  };
}

describe('quorum-reach', () => {
  it('is not stuck while a majority of voters is reachable', () => {
    expect(stuckStatus(input({ voters: ['a', 'b', 'c'] }, { linked: new Set(['b']) }))).toBeNull();
    expect(stuckStatus(input({ voters: ['a'] }, { linked: new Set() }))).toBeNull();
    expect(stuckStatus(input({}))).toBeNull();
  });

  it('names the unreachable voters when a majority is gone (a link down or silence)', () => {
    const s = stuckStatus(input({ voters: ['a', 'b', 'c'], learners: ['d'] }, { linked: new Set(['c', 'd']), lastHeard: new Map([['c', 100], ['d', 900]]) }));
    expect(s).toEqual({
      reason: 'read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)',
      unreachableVoters: ['b', 'c'],
    });
    // A learner counts for nothing; a learner node itself reports the same.
    expect(stuckStatus(input({ voters: ['b', 'c', 'd'], learners: ['a'] }, { linked: new Set(['d']) }))?.unreachableVoters).toEqual(['b', 'c']);
  });

  it('checks both halves of a joint configuration', () => {
    const joint = input({ voters: ['a', 'd', 'e'], votersOutgoing: ['a', 'b', 'c'] }, { linked: new Set(['d', 'e']) });
    expect(stuckStatus(joint)?.reason).toBe('read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)');
  });

  it('gives peers not heard from yet the time since start, and clears as soon as one is heard again', () => {
    const fresh = input({ voters: ['a', 'b', 'c'] }, { lastHeard: new Map(), startedAt: 800 });
    expect(stuckStatus(fresh)).toBeNull();
    expect(unreachableVoters({ ...fresh, now: 2000 })).toEqual(['b', 'c']);
    expect(stuckStatus({ ...fresh, now: 2000, lastHeard: new Map([['b', 1900]]) })).toBeNull();
    expect(stuckStatus(input({ voters: ['a', 'b'] }, { linked: new Set() }))?.reason).toBe(
      'read-only: voter b is unreachable (1 of 2 voters; a majority is needed)',
    );
  });

  it('lists words', () => {
    expect([listWords([]), listWords(['x']), listWords(['x', 'y']), listWords(['x', 'y', 'z'])]).toEqual(['', 'x', 'x and y', 'x, y and z']);
  });
});
