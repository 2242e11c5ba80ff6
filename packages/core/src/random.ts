/**
 * @module random
 * The only source of randomness the core uses is injected (`RaftConfig.random`), so a run can be
 * replayed from its seed. `seededRandom` is a small, fast generator (mulberry32) for hosts and tests.
 */

/** A deterministic generator of numbers in [0, 1) from a 32-bit seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
