/** Majority and joint quorums, checked against naive versions (as etcd's quorum tests do). */
import { describe, expect, it } from 'vitest';
import { JointConfig, MajorityConfig, VoteResult } from './quorum.js';
import { seededRandom } from './random.js';
import { Inflights } from './inflights.js';

function naiveCommitted(ids: string[], match: Map<string, number>): number {
  if (ids.length === 0) return Infinity;
  // The largest index that at least a majority has acked.
  let best = 0;
  for (const candidate of [0, ...ids.map((id) => match.get(id) ?? 0)]) {
    const n = ids.filter((id) => (match.get(id) ?? 0) >= candidate).length;
    if (n > ids.length / 2 && candidate > best) best = candidate;
  }
  return best;
}

function naiveVote(ids: string[], votes: Map<string, boolean>): VoteResult {
  if (ids.length === 0) return VoteResult.Won;
  const yes = ids.filter((id) => votes.get(id) === true).length;
  const no = ids.filter((id) => votes.get(id) === false).length;
  if (yes > ids.length / 2) return VoteResult.Won;
  if (no >= ids.length / 2 + (ids.length % 2 === 0 ? 0 : 0.5)) return VoteResult.Lost;
  return VoteResult.Pending;
}

describe('quorum', () => {
  it('majority commit index and vote result match a naive computation (random configs)', () => {
    const rand = seededRandom(3);
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (let round = 0; round < 2000; round++) {
      const ids = all.filter(() => rand() < 0.6);
      const match = new Map<string, { match: number }>();
      const plain = new Map<string, number>();
      const votes = new Map<string, boolean>();
      for (const id of all) {
        if (rand() < 0.8) {
          const m = Math.floor(rand() * 10);
          match.set(id, { match: m });
          plain.set(id, m);
        }
        const v = rand();
        if (v < 0.4) votes.set(id, true);
        else if (v < 0.7) votes.set(id, false);
      }
      const cfg = new MajorityConfig(ids);
      expect(cfg.committedIndex(match)).toBe(naiveCommitted(ids, plain));
      expect(cfg.voteResult((id) => votes.get(id))).toBe(naiveVote(ids, votes));
      // Joint: both halves must agree.
      const other = all.filter(() => rand() < 0.5);
      const joint = new JointConfig(cfg, new MajorityConfig(other));
      expect(joint.committedIndex(match)).toBe(Math.min(naiveCommitted(ids, plain), naiveCommitted(other, plain)));
      const a = naiveVote(ids, votes);
      const b = naiveVote(other, votes);
      const want = a === b ? a : a === VoteResult.Lost || b === VoteResult.Lost ? VoteResult.Lost : VoteResult.Pending;
      expect(joint.voteResult((id) => votes.get(id))).toBe(want);
    }
  });

  it('a joint config needs a majority of both halves', () => {
    const joint = new JointConfig(new MajorityConfig(['d', 'e', 'f']), new MajorityConfig(['a', 'b', 'c']));
    const votes = new Map([
      ['a', true],
      ['b', true],
      ['d', true],
    ]);
    expect(joint.voteResult((id) => votes.get(id))).toBe(VoteResult.Pending);
    votes.set('e', true);
    expect(joint.voteResult((id) => votes.get(id))).toBe(VoteResult.Won);
  });
});

describe('inflights', () => {
  it('is a bounded FIFO freed by acknowledgement', () => {
    const inf = new Inflights(4);
    for (const i of [1, 2, 3, 4]) inf.add(i * 10, 5);
    expect(inf.full()).toBe(true);
    inf.freeLE(25);
    expect(inf.length).toBe(2);
    expect(inf.bytes).toBe(10);
    inf.add(50, 5);
    inf.add(60, 5);
    expect(inf.full()).toBe(true);
    inf.freeFirstOne();
    expect(inf.length).toBe(3);
    inf.freeLE(100);
    expect(inf.length).toBe(0);
  });

  it('honours a byte budget', () => {
    const inf = new Inflights(100, 10);
    inf.add(1, 6);
    expect(inf.full()).toBe(false);
    inf.add(2, 6);
    expect(inf.full()).toBe(true);
  });
});
