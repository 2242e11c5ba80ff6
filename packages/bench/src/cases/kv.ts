/**
 * `pnpm bench kv`: the KV state machine alone (no Raft, no I/O). Each figure is the median of 5 runs:
 * - apply throughput of puts through the entry codec (encode → decode → apply), 20k puts over 10k keys;
 * - apply throughput of compare-and-set txns;
 * - prefix range latency (100 keys out of 100k);
 * - snapshot encode / restore time and size at 100k keys of 100-byte values;
 * - with the MVCC history at its default 64 MiB bound (300k puts of 100 bytes to one key, the
 *   etcd-compare workload): put throughput once full, and the snapshot's encode time and size.
 */
import { median, type BenchCase, type BenchResult } from '../bench-case.js';
// The bench package does not depend on `meshraft`; reach its sources directly.
import { cas, createKvStateMachine, put, range, type KvStateMachine } from 'meshraft/kv';

const RUNS = 5;

function fill(sm: KvStateMachine, n: number, valueBytes: number): void {
  const value = new Uint8Array(valueBytes).fill(0x61);
  for (let i = 0; i < n; i++) sm.apply(put(`key/${String(i).padStart(6, '0')}`, value), { index: i + 1, term: 1 });
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const kv: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const putRates: number[] = [];
    const casRates: number[] = [];
    const rangeUs: number[] = [];
    const snapMs: number[] = [];
    const restoreMs: number[] = [];
    let snapBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      const sm = createKvStateMachine();
      const N = 20_000;
      const entries = Array.from({ length: N }, (_, i) => sm.encodeCommand(put(`k/${(i * 7919) % 10_000}`, `value-${i}`)));
      const ms = timeIt(() => entries.forEach((d, i) => sm.apply(sm.decodeCommand(d), { index: i + 1, term: 1 })));
      putRates.push(N / (ms / 1000));

      const casEntries = Array.from({ length: N }, (_, i) =>
        sm.encodeCommand(cas(`k/${i % 10_000}`, i < 10_000 ? `value-${i + 10_000}` : `c-${i - 10_000}`, `c-${i}`)),
      );
      const casMs = timeIt(() => casEntries.forEach((d, i) => sm.apply(sm.decodeCommand(d), { index: N + i + 1, term: 1 })));
      casRates.push(N / (casMs / 1000));

      const big = createKvStateMachine();
      fill(big, 100_000, 100);
      const Q = 2_000;
      const qMs = timeIt(() => {
        for (let i = 0; i < Q; i++) big.query(range(`key/${String((i * 37) % 1000).padStart(4, '0')}`, { prefix: true }));
      });
      rangeUs.push((qMs * 1000) / Q);

      let snap: Uint8Array = new Uint8Array(0);
      snapMs.push(timeIt(() => (snap = big.snapshot())));
      snapBytes = snap.byteLength;
      restoreMs.push(timeIt(() => createKvStateMachine().restore(snap)));
    }
    yield { metric: 'put_apply_throughput', value: Math.round(median(putRates)), unit: 'ops/s', keys: 10_000 };
    yield { metric: 'cas_txn_apply_throughput', value: Math.round(median(casRates)), unit: 'ops/s' };
    yield { metric: 'prefix_range_100_of_100k', value: +median(rangeUs).toFixed(1), unit: 'us' };
    yield { metric: 'snapshot_encode_100k', value: +median(snapMs).toFixed(1), unit: 'ms', bytes: snapBytes };
    yield { metric: 'snapshot_restore_100k', value: +median(restoreMs).toFixed(1), unit: 'ms' };

    // One run: filling 64 MiB of history takes a few seconds.
    const full = createKvStateMachine();
    const value = new Uint8Array(100).fill(0x76);
    const FILL = 250_000;
    const MORE = 50_000;
    for (let i = 0; i < FILL; i++) full.apply(put('bench-key', value), { index: i + 1, term: 1 });
    const fullMs = timeIt(() => {
      for (let i = 0; i < MORE; i++) full.apply(put('bench-key', value), { index: FILL + i + 1, term: 1 });
    });
    yield { metric: 'put_apply_throughput_full_history', value: Math.round(MORE / (fullMs / 1000)), unit: 'ops/s', history_bytes: full.historyBytes };
    let fullSnap: Uint8Array = new Uint8Array(0);
    const encodeMs = timeIt(() => (fullSnap = full.snapshot()));
    yield { metric: 'snapshot_encode_full_history', value: +encodeMs.toFixed(1), unit: 'ms', bytes: fullSnap.byteLength };
  },
};

export default kv;
