import { Emitter } from '@meshraft/transport';
import type { MeshraftNode, NodeEvents, NodeStatus } from 'meshraft';
import { describe, expect, it } from 'vitest';
import { createPeerLog, logNodeEvents } from './peer-log.js';

const base: NodeStatus = { id: 'a', cluster: 'c', role: 'follower', term: 2, leader: null, commit: 1, applied: 1, members: [], joint: false, stopped: false, stuck: null };

describe('peer log', () => {
  it('says once that the cluster is read-only and which voters are missing, and once that it is writable again', () => {
    const events = new Emitter<NodeEvents>();
    let status = base;
    const node = { cluster: 'c', status: () => status, on: events.on.bind(events) } as unknown as MeshraftNode;
    const lines: string[] = [];
    logNodeEvents(node, createPeerLog((l) => lines.push(l.replace(/^\S+ /, ''))));
    const stuck = { reason: 'read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)', unreachableVoters: ['b', 'c'] };
    for (const s of [{ ...base, stuck }, { ...base, stuck, commit: 2 }, base]) events.emit('status', (status = s));
    expect(lines.filter((l) => !l.startsWith('info role'))).toEqual([
      'error cluster is read-only: voters b and c are unreachable (2 of 3 voters; a majority is needed)',
      'info a majority of voters is reachable again: writable',
    ]);
  });
});
