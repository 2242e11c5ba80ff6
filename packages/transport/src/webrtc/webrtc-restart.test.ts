/**
 * A peer process dies without closing (SIGKILL) and comes back under the same id: the survivor
 * must replace its stale channel, whichever side offers. Remote peers are child processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../__tests__/wait.js';
import { collect, Harness, stateOf, untilState } from './__tests__/harness.js';
import { spawnRemoteTransport } from './__tests__/remote-transport.js';

const h = new Harness();
afterEach(() => h.cleanup());

describe('WebRTC transport when a peer process restarts', () => {
  // 'b' answers a's offers; '0' sorts before 'a', so it is the one that offers.
  it.each(['b', '0'])('reconnects to a restarted peer %s that kept its id', async (id) => {
    const s = await h.server();
    const a = h.transport(s.url, 'a');
    const first = await spawnRemoteTransport(s.url, id);
    h.add(async () => first.kill());
    await untilState(a, id, 'webrtc');
    const atFirst = collect(first);
    expect(a.send(id, new Uint8Array([1]))).toBe(true);
    await until(() => atFirst.get('a')?.length === 1, 'frame to the first process');

    first.kill();
    const second = await spawnRemoteTransport(s.url, id);
    h.add(async () => second.kill());
    const atSecond = collect(second);
    // Until the new channel is up, a's state may be anything; a frame that a accepts must land.
    await until(() => second.links().some((l) => l.peer === 'a' && l.state === 'webrtc'), 'the new process connected');
    await untilState(a, id, 'webrtc');
    expect(a.send(id, new Uint8Array([2]))).toBe(true);
    await until(() => atSecond.get('a')?.length === 1, 'frame to the restarted process');
    expect(atSecond.get('a')).toEqual([new Uint8Array([2])]);
    expect(stateOf(a, id)).toBe('webrtc');
  });
});
