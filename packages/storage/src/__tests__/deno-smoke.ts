/**
 * Run by deno.test.ts under Deno: `deno run -A --conditions=source --sloppy-imports deno-smoke.ts <dir>`.
 * Exercises the file backend through Deno's node:fs (WAL append + fsync, checkpoint rename +
 * directory fsync, lock, reopen) and prints what it read back as one JSON line.
 */
import { EMPTY_CONF_STATE, EntryType, MeshraftError } from '@meshraft/core';
import { openFileStorage } from '@meshraft/storage/file';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: deno-smoke.ts <dir>');

const data = (i: number): Uint8Array => new Uint8Array([i, i + 1, i + 2]);
const first = await openFileStorage(dir);
let lockCode = 'none';
try {
  await openFileStorage(dir);
} catch (err) {
  if (err instanceof MeshraftError) lockCode = err.code;
}
const entries = [1, 2, 3, 4].map((index) => ({ index, term: 1, type: EntryType.Normal, data: data(index) }));
await first.save({ entries, hardState: { term: 1, vote: 'deno', commit: 3 } });
await first.setMeta('runtime', 'deno');
await first.compact({ metadata: { index: 2, term: 1, confState: { ...EMPTY_CONF_STATE, voters: ['deno'] } }, data: data(9) });
await first.close();

const again = await openFileStorage(dir);
const result = {
  lockCode,
  firstIndex: again.firstIndex(),
  lastIndex: again.lastIndex(),
  entries: again.entries(again.firstIndex(), again.lastIndex() + 1).map((e) => [e.index, e.term, Array.from(e.data)]),
  hardState: again.initialState().hardState,
  snapshot: [again.snapshot().metadata.index, Array.from(again.snapshot().data)],
  meta: again.getMeta('runtime'),
};
await again.close();
console.log(JSON.stringify(result));
