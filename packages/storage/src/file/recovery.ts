/**
 * @module file/recovery
 * Reads a data directory back on open: the checkpoint, then every WAL segment after it. A torn
 * tail of the newest segment (a crash mid-write: those saves were never acknowledged) is cut off
 * with a warning; damage anywhere else is a CorruptLogError naming the file and byte offset.
 */
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT } from '@meshraft/core';
import { DecodeError } from './codec.js';
import { CorruptLogError } from './errors.js';
import { FRAME_HEADER_BYTES, scanFrames } from './frame.js';
import { CHECKPOINT_FILE, segmentName, segmentSeq, type FileLayoutOptions } from './layout.js';
import { decodeCheckpoint, decodeRecord, type Checkpoint, type WalRecord } from './records.js';
import type { ActiveSegment } from './wal-writer.js';

export interface RecoveredRecord {
  readonly file: string;
  readonly offset: number;
  readonly record: WalRecord;
}

export interface Recovered {
  readonly checkpoint: Checkpoint;
  /** Records to replay on top of the checkpoint, in order. */
  readonly records: RecoveredRecord[];
  readonly active: ActiveSegment;
  readonly oldestSeq: number;
}

const EMPTY_CHECKPOINT: Checkpoint = {
  walStart: 1,
  state: {
    snapshot: EMPTY_SNAPSHOT,
    entries: [],
    hardState: EMPTY_HARD_STATE,
    meta: new Map(),
  },
};

function decodeOrCorrupt<T>(file: string, offset: number, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) throw new CorruptLogError(file, offset + FRAME_HEADER_BYTES, err.message);
    throw err;
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const buf = await readIfExists(join(dir, CHECKPOINT_FILE));
  if (buf === undefined) return EMPTY_CHECKPOINT;
  // Written by rename, so never torn: any damage is corruption.
  const { frames } = scanFrames(buf, CHECKPOINT_FILE, false);
  const frame = frames[0];
  if (frame === undefined || frames.length !== 1) {
    throw new CorruptLogError(CHECKPOINT_FILE, 0, `expected one record, found ${frames.length}`);
  }
  return decodeOrCorrupt(CHECKPOINT_FILE, 0, () => decodeCheckpoint(frame.payload));
}

async function truncateDurably(path: string, size: number, fsync: boolean): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(size);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function recoverDataDir(opts: FileLayoutOptions): Promise<Recovered> {
  const { dir, logger } = opts;
  const checkpoint = await loadCheckpoint(dir);
  const names = await readdir(dir);
  if (names.includes(`${CHECKPOINT_FILE}.tmp`)) await unlink(join(dir, `${CHECKPOINT_FILE}.tmp`));

  const seqs = names.flatMap((n) => segmentSeq(n) ?? []).sort((a, b) => a - b);
  // Segments before the checkpoint's start are what a crash mid-checkpoint left behind.
  for (const seq of seqs.filter((s) => s < checkpoint.walStart)) await unlink(join(dir, segmentName(seq)));
  const live = seqs.filter((s) => s >= checkpoint.walStart);
  live.forEach((seq, i) => {
    const expected = checkpoint.walStart + i;
    if (seq !== expected) throw new CorruptLogError(segmentName(expected), 0, 'segment is missing');
  });

  const records: RecoveredRecord[] = [];
  let active: ActiveSegment = { seq: checkpoint.walStart, size: 0, exists: false };
  for (const [i, seq] of live.entries()) {
    const file = segmentName(seq);
    const path = join(dir, file);
    const buf = await readFile(path);
    const isLast = i === live.length - 1;
    const scan = scanFrames(buf, file, isLast);
    for (const { offset, payload } of scan.frames) {
      records.push({ file, offset, record: decodeOrCorrupt(file, offset, () => decodeRecord(payload)) });
    }
    if (scan.tornReason !== undefined) {
      logger.warn('truncating a torn record at the end of the WAL', {
        file,
        offset: scan.validEnd,
        droppedBytes: buf.length - scan.validEnd,
        reason: scan.tornReason,
      });
      await truncateDurably(path, scan.validEnd, opts.fsync);
    }
    active = { seq, size: scan.validEnd, exists: true };
  }
  return { checkpoint, records, active, oldestSeq: checkpoint.walStart };
}
