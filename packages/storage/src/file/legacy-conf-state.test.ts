/**
 * Data directories written before the configuration followed the snapshot: they may hold a
 * configuration beside it (a WAL record flag, the checkpoint's slot) that is stale after a
 * compaction. Reopened now, that one is read past and the snapshot's is used.
 */
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_CONF_STATE, EntryType, type ConfState, type Entry } from '@meshraft/core';
import { openFileStorage } from '@meshraft/storage/file';
import { tempDirs } from '../__tests__/temp-dir.js';
import { Writer, writeConfState, writeEntries, writeHardState } from './codec.js';
import { encodeFrame } from './frame.js';
import { segmentSeq } from './layout.js';

const tempDir = tempDirs();
const conf = (...voters: string[]): ConfState => ({ ...EMPTY_CONF_STATE, voters });
const ents = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo }, (_, i) => ({ index: lo + i, term, type: EntryType.Normal, data: new Uint8Array([i]) }));

describe('file storage: a configuration stored by older versions', () => {
  it('is ignored: after a compaction the snapshot\'s configuration wins over an old WAL record\'s', async () => {
    const dir = await tempDir();
    const s = await openFileStorage(dir);
    await s.save({ snapshot: { metadata: { index: 1, term: 1, confState: conf('a') }, data: new Uint8Array() }, hardState: { term: 1, vote: null, commit: 1 } });
    await s.save({ entries: ents(2, 30, 1), hardState: { term: 1, vote: 'a', commit: 29 } });
    await s.compact({ metadata: { index: 20, term: 1, confState: conf('a', 'b', 'c') }, data: new Uint8Array([7]) });
    await s.close();
    // An update record as older versions wrote it: flags 1|2 (hard state, configuration), with
    // the founding configuration they kept beside the log.
    const w = new Writer().u8(1).u8(3);
    writeEntries(w, ents(30, 31, 1));
    writeHardState(w, { term: 1, vote: 'a', commit: 30 });
    writeConfState(w, conf('a'));
    const segments = (await readdir(dir)).filter((f) => segmentSeq(f) !== undefined).sort();
    await appendFile(join(dir, segments[segments.length - 1]!), encodeFrame(w.finish()));

    const r = await openFileStorage(dir);
    expect(r.lastIndex()).toBe(30);
    expect(r.initialState()).toEqual({ hardState: { term: 1, vote: 'a', commit: 30 }, confState: conf('a', 'b', 'c') });
    await r.close();
  });
});
