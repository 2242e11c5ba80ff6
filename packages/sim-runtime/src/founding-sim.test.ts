/** Founders racing under one name (founding-sim): one history survives on every seed; the checks catch a breach. */
import { describe, expect, it } from 'vitest';
import { checkFounding, simulateFounding } from './founding-sim.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('founding-sim', () => {
  it('seeds 1..40: exactly one history continues, with a room record, a forgetful one, or none', { timeout: 120_000 }, async () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const f = await simulateFounding(seed);
      expect(f.verdict, `seed ${seed}: ${f.detail}`).toBe('ok');
      expect(f.forks, `seed ${seed}`).toBeGreaterThan(0);
      kinds.add(f.room ? (f.forgot ? 'forgets' : 'keeps') : 'none');
    }
    expect([...kinds].sort()).toEqual(['forgets', 'keeps', 'none']);
  });

  it('replays a seed byte for byte', async () => {
    const [x, y] = [await simulateFounding(7), await simulateFounding(7)];
    expect(y).toEqual(x);
  });

  it('the checks catch an ack after a fork, a mutual fork, two surviving histories and two writable ones', () => {
    const end = [{ node: 'a', clusterId: A, forked: false }, { node: 'b', clusterId: B, forked: false }];
    const got = checkFounding(
      [{ node: 'b', clusterId: B, at: 50, forkedAt: 40 }, { node: 'a', clusterId: A, at: 100, forkedAt: undefined }, { node: 'b', clusterId: B, at: 120, forkedAt: undefined }],
      [{ node: 'a', clusterId: A, survivorId: B }, { node: 'b', clusterId: B, survivorId: A }],
      end,
      A,
      90,
    );
    expect(got.map((l) => l.split(':')[0])).toEqual(['forked-ack', 'mutual-fork', 'mutual-fork', 'two-histories', 'two-writable']);
    expect(checkFounding([], [], [end[0]!], B, 0)).toEqual([`two-histories: the nodes not forked belong to ${A}, the room recorded ${B}`]);
  });
});
