/**
 * The send-before-persist rule (Raft thesis §10.2.1), the one function every host calls: only a
 * leader's broadcasts may overtake its disk write, and never a pending term or vote change.
 */
import { describe, expect, it } from 'vitest';
import { canSendBeforePersist, isLeaderBroadcast, type Message } from '@meshraft/core';

const base = { from: 'a', to: 'b', term: 2 };
const app: Message = { ...base, type: 'app', index: 1, logTerm: 1, entries: [], commit: 1 };
const heartbeat: Message = { ...base, type: 'heartbeat', commit: 1, context: null };
const appResp: Message = { ...base, type: 'appResp', index: 1, reject: false, rejectHint: 0, logTerm: 0 };
const vote: Message = { ...base, type: 'vote', index: 1, logTerm: 1, transfer: false };

describe('canSendBeforePersist', () => {
  it('lets a leader send appends and heartbeats while its write runs', () => {
    const s = { leader: true, termOrVotePending: false };
    expect(canSendBeforePersist(app, s)).toBe(true);
    expect(canSendBeforePersist(heartbeat, s)).toBe(true);
  });

  it('holds every message that promises durability (acks, votes)', () => {
    const s = { leader: true, termOrVotePending: false };
    expect(canSendBeforePersist(appResp, s)).toBe(false);
    expect(canSendBeforePersist(vote, s)).toBe(false);
  });

  it('holds even broadcasts while a term or vote change is not durable, and on a non-leader', () => {
    expect(canSendBeforePersist(app, { leader: true, termOrVotePending: true })).toBe(false);
    expect(canSendBeforePersist(heartbeat, { leader: false, termOrVotePending: false })).toBe(false);
  });

  it('isLeaderBroadcast names the leader-only messages', () => {
    expect([app, heartbeat, appResp, vote].map(isLeaderBroadcast)).toEqual([true, true, false, false]);
  });
});
