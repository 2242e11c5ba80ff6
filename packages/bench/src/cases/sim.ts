/**
 * `pnpm bench sim`: the deterministic simulator and the linearizability checker.
 * - Simulation speed: seeds per second and simulated ticks per second for the default fault run
 *   (3 voters + 2 spares, 600 fault ticks, membership changes, snapshots drawn per seed),
 *   50 seeds per run, median of 5 runs.
 * - Checker speed: operations checked per second on the recorded histories of those seeds,
 *   and on a synthetic worst case (one key, 8 concurrent clients, 2,000 operations).
 */
import { checkOperations, kvModel, simulate, Xoshiro128, type KvOperation } from '@meshraft/sim';
import { median, type BenchCase, type BenchResult } from '../bench-case.js';

const RUNS = 5;
const SEEDS = 50;

/** Clients doing put/get on one key with overlapping calls: a history that is linearizable. */
function concurrentHistory(ops: number, clients: number, seed: number): KvOperation[] {
  const rng = new Xoshiro128(seed);
  const out: KvOperation[] = [];
  let value: string | null = null;
  let t = 0;
  const busyUntil = new Array<number>(clients).fill(0);
  for (let i = 0; i < ops; i++) {
    const c = i % clients;
    const call = Math.max(t, busyUntil[c]!) + 1;
    // The operation takes effect at `call`; its return is later, overlapping the next calls.
    const ret = call + 1 + rng.int(clients * 2);
    busyUntil[c] = ret;
    t = call;
    if (rng.chance(0.5)) {
      value = `v${i}`;
      out.push({ clientId: c, input: { kind: 'put', key: 'k', value }, callTime: call, returnTime: ret, output: {} });
    } else {
      out.push({ clientId: c, input: { kind: 'get', key: 'k' }, callTime: call, returnTime: ret, output: { value } });
    }
  }
  return out;
}

const simBench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const seedRates: number[] = [];
    const tickRates: number[] = [];
    const checkRates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const histories: KvOperation[][] = [];
      let ticks = 0;
      const t0 = performance.now();
      for (let s = 1; s <= SEEDS; s++) {
        const r = simulate({ seed: run * SEEDS + s });
        if (r.verdict !== 'ok') throw new Error(`seed ${r.seed} failed: ${r.verdict}`);
        ticks += r.ticks;
        histories.push([...r.history]);
      }
      const secs = (performance.now() - t0) / 1000;
      seedRates.push(SEEDS / secs);
      tickRates.push(ticks / secs);
      const c0 = performance.now();
      let ops = 0;
      for (const h of histories) {
        checkOperations(kvModel, h);
        ops += h.length;
      }
      checkRates.push(ops / ((performance.now() - c0) / 1000));
    }
    yield { metric: 'seeds_per_sec', value: Math.round(median(seedRates)), unit: 'seeds/s', nodes: '3+2 spares', faultTicks: 600 };
    yield { metric: 'sim_ticks_per_sec', value: Math.round(median(tickRates)), unit: 'ticks/s' };
    yield { metric: 'check_sim_histories', value: Math.round(median(checkRates)), unit: 'ops/s' };

    const hard: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const h = concurrentHistory(2000, 8, run + 1);
      const t0 = performance.now();
      const res = checkOperations(kvModel, h);
      if (res.verdict !== 'ok') throw new Error(`synthetic history judged ${res.verdict}`);
      hard.push(h.length / ((performance.now() - t0) / 1000));
    }
    yield { metric: 'check_one_key_8_clients', value: Math.round(median(hard)), unit: 'ops/s', operations: 2000 };
  },
};

export default simBench;
