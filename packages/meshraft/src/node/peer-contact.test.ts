/** Leader contact counts only broadcasts from the node the next Ready names leader, in its term. */
import { describe, expect, it } from 'vitest';
import type { Message } from '@meshraft/core';
import { FakeTimers } from './__tests__/fake-timers.js';
import { PeerContact } from './peer-contact.js';

const hb = (from: string, term: number): Message => ({ type: 'heartbeat', from, to: 'me', term, commit: 0, context: null });

describe('PeerContact', () => {
  it('confirms a broadcast from the leader of that term, at the time it arrived', async () => {
    const timers = new FakeTimers();
    const c = new PeerContact(timers);
    await timers.advance(50);
    c.raftMessage('l', hb('l', 3));
    await timers.advance(10);
    c.confirm('l', 3);
    expect(c.lastLeaderContact).toBe(50);
  });

  it('ignores broadcasts from a non-leader or of another term, and confirms each only once', async () => {
    const timers = new FakeTimers();
    const c = new PeerContact(timers);
    c.raftMessage('x', hb('x', 3));
    c.raftMessage('l', hb('l', 2));
    c.confirm('l', 3);
    expect(c.lastLeaderContact).toBeNull();
    c.raftMessage('l', hb('l', 3));
    c.confirm(null, 3);
    c.confirm('l', 3);
    expect(c.lastLeaderContact).toBeNull();
  });

  it('records acks with their term for the lease', () => {
    const c = new PeerContact(new FakeTimers());
    c.raftMessage('f', { type: 'heartbeatResp', from: 'f', to: 'me', term: 4, context: null });
    expect(c.lastAck.get('f')).toEqual({ at: 0, term: 4 });
  });
});
