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

  it('records the send stamp each answer echoes, with its term, keeping the newest', () => {
    const c = new PeerContact(new FakeTimers());
    const resp = (term: number): Message => ({ type: 'heartbeatResp', from: 'f', to: 'me', term, context: null });
    c.raftMessage('f', resp(4));
    expect(c.lastAck.has('f')).toBe(false); // no echoed stamp: proves nothing about when
    c.raftMessage('f', resp(4), 70);
    c.raftMessage('f', resp(4), 30); // an older answer arriving late does not move it back
    expect(c.lastAck.get('f')).toEqual({ at: 70, term: 4 });
    c.raftMessage('f', resp(5), 10); // a new term starts over
    expect(c.lastAck.get('f')).toEqual({ at: 10, term: 5 });
  });

  it('stamps broadcasts with the send time and answers with the newest stamp heard from that leader in that term', async () => {
    const timers = new FakeTimers();
    const c = new PeerContact(timers);
    await timers.advance(40);
    expect(c.onSend({ type: 'heartbeat', from: 'me', to: 'f', term: 2, commit: 0, context: null })).toEqual({ sentAt: 40 });
    const answer = (term: number): Message => ({ type: 'heartbeatResp', from: 'me', to: 'l', term, context: null });
    expect(c.onSend(answer(3))).toEqual({}); // heard nothing stamped from l yet
    c.raftMessage('l', hb('l', 3), 900);
    c.raftMessage('l', hb('l', 3), 800);
    expect(c.onSend(answer(3))).toEqual({ answers: 900 });
    expect(c.onSend(answer(4))).toEqual({}); // not for another term
    expect(c.onSend({ ...answer(3), to: 'x' })).toEqual({}); // nor for another leader
  });

  it('notes the term of a TimeoutNow it sends', () => {
    const c = new PeerContact(new FakeTimers());
    expect(c.transferTerm).toBeNull();
    c.onSend({ type: 'timeoutNow', from: 'me', to: 'f', term: 6 });
    expect(c.transferTerm).toBe(6);
  });
});
