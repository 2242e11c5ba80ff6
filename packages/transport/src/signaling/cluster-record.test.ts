/** The signaling client's view of the room's recorded cluster id (scripted socket). */
import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../__tests__/fake-scheduler.js';
import { fakeSockets, LIMITS } from '../__tests__/fake-websocket.js';
import { seededRandom } from '../testing/wait.js';
import { createSignalingClient } from './signaling-client.js';

const X = 'a'.repeat(32);
const Y = 'b'.repeat(32);

describe('signaling client: the room record', () => {
  it('learns the record on join, announces, reports conflicts, and re-announces to a server that forgot', () => {
    const clock = new FakeScheduler();
    const ws = fakeSockets();
    const client = createSignalingClient({ urls: 'ws://s', room: 'r', peer: 'a', random: seededRandom(1), scheduler: clock, webSocket: ws.factory, backoff: { initialMs: 10, maxMs: 10 } });
    const seen: [unknown, unknown][] = [];
    client.clusterRecord.onRecord((r, c) => seen.push([r, c]));
    expect(client.clusterRecord.recorded()).toBeUndefined();
    client.clusterRecord.announce(X); // not joined: sent on join
    let s = ws.last();
    s.open();
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS, cluster: null });
    expect(s.json().filter((m) => m.type === 'cluster')).toEqual([{ type: 'cluster', id: X }]);
    s.deliver({ type: 'cluster', id: X });
    expect(client.clusterRecord.recorded()).toBe(X);
    s.deliver({ type: 'cluster', id: X, conflict: Y });
    expect(seen).toEqual([[X, undefined], [X, Y]]);
    // The server restarts without its records: the re-join finds none and announces again.
    s.close(1006);
    clock.advance(10);
    s = ws.last();
    s.open();
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS, cluster: null });
    expect(client.clusterRecord.recorded()).toBeUndefined();
    expect(s.json().filter((m) => m.type === 'cluster')).toEqual([{ type: 'cluster', id: X }]);
    // A server that keeps no records says nothing about them: the room keeps none.
    s.close(1006);
    clock.advance(10);
    s = ws.last();
    s.open();
    s.deliver({ type: 'joined', room: 'r', peer: 'a', peers: [], limits: LIMITS });
    expect(client.clusterRecord.recorded()).toBeNull();
    expect(s.json().filter((m) => m.type === 'cluster')).toEqual([]);
    void client.close();
  });
});
