import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../__tests__/wait.js';
import { collect, Harness, stateOf, untilState } from './__tests__/harness.js';

const h = new Harness();
afterEach(() => h.cleanup());

describe('WebRTC transport (two in one process, real data channels)', () => {
  it('connects over WebRTC and moves small and chunked frames both ways', async () => {
    const s = await h.server();
    const a = h.transport(s.url, 'a');
    const b = h.transport(s.url, 'b');
    await untilState(a, 'b', 'webrtc');
    await untilState(b, 'a', 'webrtc');
    const atA = collect(a);
    const atB = collect(b);
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
    expect(a.send('b', new Uint8Array([1, 2, 3]))).toBe(true);
    expect(a.send('b', big)).toBe(true);
    expect(b.send('a', new Uint8Array([9]))).toBe(true);
    await until(() => (atB.get('a')?.length ?? 0) === 2 && (atA.get('b')?.length ?? 0) === 1, 'frames');
    expect(atB.get('a')).toEqual([new Uint8Array([1, 2, 3]), big]);
    expect(atA.get('b')).toEqual([new Uint8Array([9])]);
    expect(stateOf(a, 'b')).toBe('webrtc');
  });
});
