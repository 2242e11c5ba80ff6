/**
 * Crash safety: a child process runs a seeded workload against the file backend and prints each
 * acknowledged operation; we SIGKILL it at seeded random moments, reopen the directory and
 * require exactly the state after some number of operations >= the last acknowledged one (saves
 * in flight may or may not have landed, but only whole and in order). The next child continues
 * the workload from there in the same directory, so recovery of recovered logs is covered too.
 */
import { spawn } from 'node:child_process';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { createMemoryStorage } from '@meshraft/storage';
import { DataDirLockedError, openFileStorage } from '@meshraft/storage/file';
import { dumpStorage, runOp, workload } from '../__tests__/crash-workload.js';
import { tempDirs } from '../__tests__/temp-dir.js';
import { transpileForNode } from '../__tests__/transpile-for-node.js';

const newDir = tempDirs();
const childSource = fileURLToPath(new URL('../__tests__/crash-child.ts', import.meta.url));
// Plain JS, so each child starts in ~0.1 s instead of ~0.7 s through a TypeScript loader.
let childScript = '';
beforeAll(async () => {
  childScript = await transpileForNode(childSource, await newDir());
});
const seed = Number(process.env.MESHRAFT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = 12_000;
const MAX_IN_FLIGHT = 6;

/** Model dumps after lo, lo+1, ..., hi operations of the workload. */
async function modelDumps(lo: number, hi: number): Promise<Map<string, number>> {
  const model = createMemoryStorage();
  const ops = workload(seed);
  const dumps = new Map<string, number>();
  for (let k = 0; k <= hi; k++) {
    if (k >= lo) dumps.set(dumpStorage(model), k);
    if (k < hi) await runOp(model, ops.next().value!);
  }
  return dumps;
}

interface ChildRun {
  maxAck: number;
  sawReady: boolean;
  stderr: string;
  signal: NodeJS.Signals | null;
}

function runChild(dir: string, skip: number, fsync: boolean, killAfter: (ready: boolean) => number, onReady: () => Promise<void>): Promise<ChildRun> {
  const child = spawn(process.execPath, [childScript, dir, String(seed), String(skip), fsync ? '1' : '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ChildRun = { maxAck: skip, sawReady: false, stderr: '', signal: null };
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') {
        run.sawReady = true;
        void onReady().finally(() => setTimeout(() => child.kill('SIGKILL'), killAfter(true)));
      } else if (line.startsWith('ack ')) {
        run.maxAck = Math.max(run.maxAck, Number(line.slice(4)));
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderr += chunk;
  });
  // Some kills land while the child is still opening (and maybe truncating a torn tail).
  const early = killAfter(false);
  const earlyTimer = early >= 0 ? setTimeout(() => child.kill('SIGKILL'), early) : undefined;
  return new Promise((resolve) => {
    child.on('exit', (_code, signal) => {
      clearTimeout(earlyTimer);
      run.signal = signal;
      resolve(run);
    });
  });
}

describe('file backend crash safety', () => {
  it('every acknowledged operation survives SIGKILL at random moments, whole and in order', async () => {
    const dir = await newDir();
    const rand = seededRandom(seed ^ 0x5eed);
    const started = Date.now();
    let skip = 0;
    let iterations = 0;
    let lockChecked = false;
    let torn = 0;
    const where = (): string => `seed ${seed} (rerun with MESHRAFT_SEED=${seed}), iteration ${iterations}`;
    while (Date.now() - started < BUDGET_MS || iterations < 20) {
      const fsync = iterations % 3 !== 2;
      const killEarly = rand() < 0.2;
      const run = await runChild(
        dir,
        skip,
        fsync,
        (ready) => (ready ? Math.floor(rand() * 150) : killEarly ? Math.floor(rand() * 150) : -1),
        async () => {
          if (lockChecked) return;
          lockChecked = true;
          // While the child holds the directory, nobody else may open it.
          await expect(openFileStorage(dir)).rejects.toBeInstanceOf(DataDirLockedError);
        },
      );
      if (run.signal !== 'SIGKILL') throw new Error(`child exited on its own (${where()}):\n${run.stderr}`);
      // SIGKILL seldom tears a write() (a large one can stop between pages), so sometimes play the
      // disk and leave part of an unacknowledged write behind: garbage or zeros after the tail.
      let tornFile: { path: string; size: number } | undefined;
      const newest = (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort().pop();
      // (No segment yet when the very first child died while opening.)
      if (newest !== undefined && rand() < 0.3) {
        torn++;
        tornFile = { path: join(dir, newest), size: (await stat(join(dir, newest))).size };
        const junk = Uint8Array.from({ length: 1 + Math.floor(rand() * 300) }, () => (rand() < 0.5 ? 0 : Math.floor(rand() * 256)));
        await appendFile(tornFile.path, junk);
      }

      const storage = await openFileStorage(dir, { logger: { warn: () => undefined } });
      if (tornFile) {
        // Cut back to the last whole record, or deleted: the child may have died between writing
        // a checkpoint and deleting the segments it replaced. The cut may land before the size the
        // child left, when SIGKILL stopped its last write() part-way; whether anything
        // acknowledged was cut too is what the state comparison below decides.
        const size = await stat(tornFile.path).then((st) => st.size, () => tornFile.size);
        if (size > tornFile.size) throw new Error(`torn tail of ${tornFile.path} not cut (${where()})`);
      }
      const got = dumpStorage(storage);
      await storage.close();
      const candidates = await modelDumps(run.maxAck, run.maxAck + MAX_IN_FLIGHT);
      const k = candidates.get(got);
      if (k === undefined) {
        throw new Error(`recovered state matches no state at or after ack ${run.maxAck} (${where()}):\n${got.slice(0, 2000)}`);
      }
      skip = k;
      iterations++;
    }
    console.log('crash test', { seed, iterations, operations: skip, tornTails: torn });
    expect(lockChecked).toBe(true);
    // The run made real progress, so the comparisons above were not all of empty logs.
    expect(skip).toBeGreaterThan(iterations);
  });
});
