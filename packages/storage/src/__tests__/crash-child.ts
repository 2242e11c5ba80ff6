/**
 * The process the crash test kills (transpiled to plain JS first). Usage: crash-child <dir> <seed> <skip> <fsync 0|1>
 * Opens the file storage in <dir> (which holds the workload's first <skip> operations), prints
 * `ready`, then runs the rest of the workload in small concurrent windows and prints `ack N` as
 * soon as operation N (counted from the start of the workload) is durable. Runs until killed.
 */
import { seededRandom } from '@meshraft/core';
import { openFileStorage } from '@meshraft/storage/file';
import { runOp, workload } from './crash-workload.js';

const [dir, seedArg, skipArg, fsyncArg] = process.argv.slice(2);
if (dir === undefined || seedArg === undefined || skipArg === undefined) {
  console.error('usage: crash-child.ts <dir> <seed> <skip> <fsync 0|1>');
  process.exit(2);
}
const seed = Number(seedArg);
const skip = Number(skipArg);

const storage = await openFileStorage(dir, { fsync: fsyncArg !== '0', segmentBytes: 4096, logger: { warn: () => undefined } });
process.stdout.write('ready\n');

const ops = workload(seed);
for (let i = 0; i < skip; i++) ops.next();
const windowRand = seededRandom(seed ^ skip);
let done = skip;
for (;;) {
  // Several saves in flight at once, so group commit batches are what gets torn.
  const size = 1 + Math.floor(windowRand() * 6);
  const window: Promise<void>[] = [];
  for (let i = 0; i < size; i++) {
    const n = ++done;
    window.push(runOp(storage, ops.next().value!).then(() => void process.stdout.write(`ack ${n}\n`)));
  }
  await Promise.all(window);
}
