import type { MemberStatus, NodeStatus } from 'meshraft';
import { describe, expect, it } from 'vitest';
import { availability } from './availability.js';

const member = (id: string, link: MemberStatus['link'], role: MemberStatus['role'] = 'voter'): MemberStatus => ({ id, role, link, rttMs: null, match: null });

function status(over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: 'a', cluster: 'c', role: 'follower', term: 2, leader: 'b', commit: 5, applied: 5, stopped: false, joint: false,
    members: [member('a', 'self'), member('b', 'webrtc'), member('c', 'relay')],
    ...over,
  };
}

describe('availability', () => {
  it('is writable with a reachable leader and a reachable majority', () => {
    expect(availability({ status: status(), partitioned: false, left: false })).toEqual({ writable: true, reason: '' });
    const one = status({ role: 'leader', leader: 'a', members: [member('a', 'self'), member('b', 'down'), member('c', 'webrtc')] });
    expect(availability({ status: one, partitioned: false, left: false }).writable).toBe(true);
  });

  it('says why it is read-only', () => {
    const cases: [NodeStatus, boolean, boolean, RegExp][] = [
      [status(), true, false, /disconnected .*needs 2/],
      [status(), false, true, /left the cluster/],
      [status({ stopped: true }), false, false, /left the cluster/],
      [status({ members: [member('b', 'webrtc'), member('c', 'webrtc')] }), false, false, /Joining/],
      [status({ members: [], linkConflict: { linked: 'a'.repeat(32), recorded: 'b'.repeat(32) } }), false, false, /link names board aaaaaaaa…, but this room now holds board bbbbbbbb…/],
      [status({ members: [member('a', 'self'), member('b', 'down'), member('c', 'connecting')] }), false, false, /Only 1 of 3 voters .*majority \(2\)/],
      [status({ leader: null }), false, false, /Electing a leader/],
      [status({ members: [member('a', 'self'), member('b', 'down'), member('c', 'webrtc')] }), false, false, /leader b is not reachable/],
    ];
    for (const [s, partitioned, left, reason] of cases) {
      const a = availability({ status: s, partitioned, left });
      expect(a.writable).toBe(false);
      expect(a.reason).toMatch(reason);
    }
  });

  it('names the voters the node reports unreachable (status().stuck)', () => {
    const stuck = { reason: 'read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)', unreachableVoters: ['b', 'c'] };
    const s = status({ stuck, members: [member('a', 'self'), member('b', 'down'), member('c', 'webrtc')] });
    const a = availability({ status: s, partitioned: false, left: false, names: new Map([['b', 'Ada']]) });
    expect(a).toEqual({ writable: false, reason: 'voters Ada (b) and c are unreachable, and a write needs a majority (2 of 3 voters). It clears as soon as one of them returns.' });
    expect(availability({ status: status({ stuck: null }), partitioned: false, left: false }).writable).toBe(true);
  });

  it('counts voters only: learners do not make a majority', () => {
    const s = status({ members: [member('a', 'self'), member('b', 'down'), member('c', 'down'), member('d', 'webrtc', 'learner'), member('e', 'webrtc', 'learner')] });
    expect(availability({ status: s, partitioned: false, left: false }).reason).toMatch(/Only 1 of 3 voters/);
  });
});
