import { describe, expect, it } from 'vitest';
import { createKvStateMachine, type KvCommand } from 'meshraft/kv';
import { eventually } from './__tests__/peer-process.js';
import { forgetRemovedMembers, publishMemberAttrs } from './member-publish.js';
import type { KvNode } from '../node-kv-client.js';

const quiet = { info() {}, notice() {}, error() {}, runtime: undefined as never };

/** Just enough of a node: a leader, a member list, events, and proposals applied to a real state machine. */
function fakeNode(failFirst: number) {
  const sm = createKvStateMachine();
  const listeners = new Map<string, Set<() => void>>();
  let failures = failFirst;
  let index = 0;
  const proposals: KvCommand[] = [];
  const state = { leader: null as string | null, members: [] as { id: string }[] };
  const emit = (e: string) => {
    for (const l of listeners.get(e) ?? []) l();
  };
  const node = {
    id: 'n1',
    get leader() {
      return state.leader;
    },
    status: () => ({ members: state.members }),
    on(e: string, l: () => void) {
      if (!listeners.has(e)) listeners.set(e, new Set());
      listeners.get(e)!.add(l);
      return () => listeners.get(e)!.delete(l);
    },
    async propose(command: KvCommand) {
      proposals.push(command);
      if (failures-- > 0) throw Object.assign(new Error('no quorum'), { code: 'NO_QUORUM' });
      const r = sm.apply(command, { index: ++index, term: 1 });
      emit('applied');
      return r;
    },
  };
  return { node: node as unknown as KvNode, sm, proposals, state, emit };
}

describe('publishMemberAttrs', () => {
  it('waits to be a member with a leader, retries failures with backoff, then stops proposing', async () => {
    const f = fakeNode(2);
    const stop = publishMemberAttrs({ node: f.node, stateMachine: f.sm, name: 'alpha', clientUrls: ['http://h:1'], log: quiet, timeoutMs: 100, backoff: { initialMs: 5, maxMs: 20 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(f.proposals).toHaveLength(0);
    f.state.leader = 'n1';
    f.state.members = [{ id: 'n1' }];
    f.emit('members');
    await eventually('published', async () => (f.sm.members.get('n1')?.name === 'alpha' ? true : undefined), 2000);
    expect(f.sm.members.get('n1')).toEqual({ name: 'alpha', clientUrls: ['http://h:1'] });
    expect(f.proposals).toHaveLength(3);
    // Recorded as wanted: more events propose nothing.
    f.emit('applied');
    f.emit('leader');
    expect(f.proposals).toHaveLength(3);
    // A record that differs (older values from a snapshot, say) is published again.
    f.sm.apply({ type: 'memberAttrs', id: 'n1', clientUrls: ['http://old:1'] }, { index: 99, term: 1 });
    f.emit('applied');
    await eventually('republished', async () => (f.sm.members.get('n1')?.clientUrls?.join() === 'http://h:1' ? true : undefined), 2000);
    expect(f.proposals).toHaveLength(4);
    stop();
  });

  it('forgetRemovedMembers: the leader forgets entries of nodes outside the configuration, and only those', async () => {
    const f = fakeNode(0);
    const ctx = { index: 1, term: 1 };
    f.sm.apply({ type: 'memberAttrs', id: 'n1', name: 'kept' }, ctx);
    f.sm.apply({ type: 'memberAttrs', id: 'gone', peerUrls: ['http://x:1'] }, ctx);
    f.state.members = [{ id: 'n1' }];
    const stop = forgetRemovedMembers(f.node, f.sm, 100);
    expect(f.proposals).toHaveLength(0); // not the leader
    f.state.leader = 'n1';
    f.emit('leader');
    await eventually('forgotten', async () => (f.sm.members.get('gone') === undefined ? true : undefined), 2000);
    expect(f.sm.members.list().map(([id]) => id)).toEqual(['n1']);
    // An entry for a non-member applied later (a removed node's late publish) goes too.
    f.sm.apply({ type: 'memberAttrs', id: 'late', name: 'x' }, ctx);
    f.emit('applied');
    await eventually('late one forgotten', async () => (f.sm.members.get('late') === undefined ? true : undefined), 2000);
    expect(f.proposals.map((p) => (p as { id: string }).id)).toEqual(['gone', 'late']);
    stop();
  });
});
