/**
 * `pnpm bench file-storage`: the file backend (@meshraft/storage/file) on the local disk (a
 * directory under os.tmpdir()). Each figure is the median over RUNS runs of RUN_MS each.
 * - Sequential saves of 1, 64 and 1024 100-byte entries (one save in flight, as a Raft node
 *   persisting one Ready at a time): entries/s, saves/s, and save latency p50/p99, with fsync on
 *   (the default) and off.
 * - Group commit: 32 saves of 1 entry kept in flight; saves issued during an fsync share the next.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '@meshraft/core';
import { openFileStorage } from '@meshraft/storage/file';
import { median, percentile, type BenchCase, type BenchResult } from '../bench-case.js';

const RUNS = 3;
const RUN_MS = 800;
const ENTRY_BYTES = 100;
const BATCHES = [1, 64, 1024] as const;
const IN_FLIGHT = 32;

interface RunResult {
  entriesPerS: number;
  savesPerS: number;
  latenciesMs: number[];
}

/** Keeps `inFlight` saves of `batch` entries going for RUN_MS against a fresh directory. */
async function runOnce(batch: number, fsync: boolean, inFlight: number): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'meshraft-bench-'));
  const storage = await openFileStorage(dir, { fsync });
  const payload = new Uint8Array(ENTRY_BYTES).fill(0x61);
  let next = 1;
  let saves = 0;
  const latenciesMs: number[] = [];
  const makeBatch = (): Entry[] => {
    const entries: Entry[] = [];
    for (let i = 0; i < batch; i++) entries.push({ index: next++, term: 1, type: EntryType.Normal, data: payload });
    return entries;
  };
  const started = performance.now();
  const deadline = started + RUN_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const entries = makeBatch();
      const t0 = performance.now();
      await storage.save({ entries, hardState: { term: 1, vote: 'a', commit: entries[0]!.index - 1 } });
      latenciesMs.push(performance.now() - t0);
      saves++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await storage.close();
  await rm(dir, { recursive: true, force: true });
  return { entriesPerS: (saves * batch) / seconds, savesPerS: saves / seconds, latenciesMs };
}

async function* measure(batch: number, fsync: boolean, inFlight: number): AsyncIterable<BenchResult> {
  const runs: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await runOnce(batch, fsync, inFlight));
  const extra = { batch, entryBytes: ENTRY_BYTES, fsync, inFlight, runs: RUNS };
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  yield { metric: 'append_throughput', value: Math.round(median(runs.map((r) => r.entriesPerS))), unit: 'entries/s', ...extra };
  yield { metric: 'save_rate', value: Math.round(median(runs.map((r) => r.savesPerS))), unit: 'saves/s', ...extra };
  yield { metric: 'save_latency_p50', value: round(median(runs.map((r) => percentile(r.latenciesMs, 50)))), unit: 'ms', ...extra };
  yield { metric: 'save_latency_p99', value: round(median(runs.map((r) => percentile(r.latenciesMs, 99)))), unit: 'ms', ...extra };
}

const fileStorage: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    for (const fsync of [true, false]) {
      for (const batch of BATCHES) yield* measure(batch, fsync, 1);
    }
    yield* measure(1, true, IN_FLIGHT);
  },
};

export default fileStorage;
