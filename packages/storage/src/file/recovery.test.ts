/**
 * Byte-level damage to the data directory: a torn tail is cut off with a warning and everything
 * before it kept; damage before the tail refuses to open with the file and byte offset.
 */
import { copyFile, mkdir, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EntryType, type Entry } from '@meshraft/core';
import { CorruptLogError, openFileStorage, type StorageLogger } from '@meshraft/storage/file';
import { tempDirs } from '../__tests__/temp-dir.js';

const newDir = tempDirs();
const SEGMENT = 'wal-0000000000000001.log';

function entry(index: number, term = 1): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(20).fill(index) };
}

function recorder(): StorageLogger & { messages: Array<Readonly<Record<string, unknown>>> } {
  const messages: Array<Readonly<Record<string, unknown>>> = [];
  return { messages, warn: (message, details) => messages.push({ message, ...details }) };
}

/** A directory with three saves (entries 1-2, 3-4, 5-6) in one segment, and each record's start. */
async function threeSaves(): Promise<{ dir: string; bytes: Uint8Array; starts: number[] }> {
  const dir = await newDir();
  const s = await openFileStorage(dir, { logger: recorder() });
  const starts: number[] = [];
  for (const i of [1, 3, 5]) {
    starts.push((await stat(join(dir, SEGMENT))).size);
    await s.save({ entries: [entry(i), entry(i + 1)], hardState: { term: 1, vote: 'a', commit: i } });
  }
  await s.close();
  return { dir, bytes: await readFile(join(dir, SEGMENT)), starts };
}

async function withSegment(bytes: Uint8Array): Promise<string> {
  const dir = await newDir();
  await writeFile(join(dir, SEGMENT), bytes);
  return dir;
}

describe('recovery from a torn tail', () => {
  let base: Awaited<ReturnType<typeof threeSaves>>;
  beforeAll(async () => {
    base = await threeSaves();
  });

  it('cuts a last record truncated at any offset, keeping everything before it', async () => {
    const lastStart = base.starts[2]!;
    for (let cut = lastStart + 1; cut < base.bytes.length; cut++) {
      const dir = await withSegment(base.bytes.subarray(0, cut));
      const logger = recorder();
      const s = await openFileStorage(dir, { logger });
      expect(s.lastIndex(), `cut at ${cut}`).toBe(4);
      expect(s.entries(1, 5)).toEqual([1, 2, 3, 4].map((i) => entry(i)));
      expect(s.initialState().hardState.commit).toBe(3);
      expect(logger.messages).toEqual([expect.objectContaining({ file: SEGMENT, offset: lastStart, droppedBytes: cut - lastStart })]);
      // The file was cut back, and the log continues cleanly after the cut.
      expect((await stat(join(dir, SEGMENT))).size).toBe(lastStart);
      await s.save({ entries: [entry(5, 2)] });
      await s.close();
      const again = await openFileStorage(dir, { logger });
      expect(again.entries(5, 6)).toEqual([entry(5, 2)]);
      expect(logger.messages).toHaveLength(1);
      await again.close();
    }
  });

  it('a cut exactly between records loses nothing and warns about nothing', async () => {
    const logger = recorder();
    const s = await openFileStorage(await withSegment(base.bytes.subarray(0, base.starts[2]!)), { logger });
    expect(s.lastIndex()).toBe(4);
    expect(logger.messages).toEqual([]);
    await s.close();
  });

  it('cuts a zero-filled tail (file extended but data not written)', async () => {
    const padded = new Uint8Array(base.bytes.length + 4096);
    padded.set(base.bytes);
    const logger = recorder();
    const dir = await withSegment(padded);
    const s = await openFileStorage(dir, { logger });
    expect(s.lastIndex()).toBe(6);
    expect(logger.messages).toHaveLength(1);
    expect((await stat(join(dir, SEGMENT))).size).toBe(base.bytes.length);
    await s.close();
  });

  it('a damaged last record with nothing valid after it counts as torn', async () => {
    const damaged = base.bytes.slice();
    damaged[damaged.length - 3]! ^= 0x10;
    const logger = recorder();
    const s = await openFileStorage(await withSegment(damaged), { logger });
    expect(s.lastIndex()).toBe(4);
    expect(logger.messages).toHaveLength(1);
    await s.close();
  });
});

describe('corruption before the tail', () => {
  let base: Awaited<ReturnType<typeof threeSaves>>;
  beforeAll(async () => {
    base = await threeSaves();
  });

  it('refuses to open when any bit of a middle record flips, naming the file and offset', async () => {
    const [, start, end] = base.starts as [number, number, number];
    for (let at = start; at < end; at++) {
      for (const bit of [0x01, 0x80]) {
        const damaged = base.bytes.slice();
        damaged[at]! ^= bit;
        const dir = await withSegment(damaged);
        const err = await openFileStorage(dir, { logger: recorder() }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `bit ${bit} of byte ${at}`).toBeInstanceOf(CorruptLogError);
        expect(err).toMatchObject({ code: 'CORRUPT_LOG', file: SEGMENT, offset: start });
        // Refusing leaves the directory untouched and unlocked, for inspection or repair.
        expect(await readFile(join(dir, SEGMENT))).toEqual(Buffer.from(damaged));
        expect(await readdir(dir)).toEqual([SEGMENT]);
      }
    }
  });

  it('refuses damage at the end of a segment that is not the newest one', async () => {
    const dir = await newDir();
    const s = await openFileStorage(dir, { segmentBytes: 100, logger: recorder() });
    for (let i = 1; i <= 6; i += 2) await s.save({ entries: [entry(i), entry(i + 1)] });
    await s.close();
    const segments = (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort();
    expect(segments.length).toBeGreaterThan(1);
    const first = join(dir, segments[0]!);
    const size = (await stat(first)).size;
    await truncate(first, size - 1);
    await expect(openFileStorage(dir, { logger: recorder() })).rejects.toMatchObject({ code: 'CORRUPT_LOG', file: segments[0] });
  });

  it('refuses a missing segment in the middle', async () => {
    const dir = await newDir();
    const s = await openFileStorage(dir, { segmentBytes: 100, logger: recorder() });
    for (let i = 1; i <= 8; i += 2) await s.save({ entries: [entry(i), entry(i + 1)] });
    await s.close();
    const segments = (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort();
    expect(segments.length).toBeGreaterThan(2);
    await unlink(join(dir, segments[1]!));
    await expect(openFileStorage(dir, { logger: recorder() })).rejects.toMatchObject({ code: 'CORRUPT_LOG', file: segments[1] });
  });

  it('refuses a damaged checkpoint', async () => {
    const dir = await newDir();
    const s = await openFileStorage(dir, { logger: recorder() });
    await s.save({ entries: [entry(1), entry(2)] });
    await s.compact({ metadata: { index: 1, term: 1, confState: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array([1, 2, 3]) });
    await s.close();
    const bytes = await readFile(join(dir, 'checkpoint'));
    bytes[bytes.length - 2]! ^= 1;
    await writeFile(join(dir, 'checkpoint'), bytes);
    await expect(openFileStorage(dir, { logger: recorder() })).rejects.toMatchObject({ code: 'CORRUPT_LOG', file: 'checkpoint', offset: 0 });
  });

  it('ignores leftovers of a crash mid-checkpoint', async () => {
    const { dir } = await threeSaves();
    const s = await openFileStorage(dir, { logger: recorder() });
    await s.compact({ metadata: { index: 4, term: 1, confState: { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array(0) });
    await s.close();
    // A half-written temporary checkpoint and an old segment the crash kept from being deleted.
    await writeFile(join(dir, 'checkpoint.tmp'), new Uint8Array([1, 2, 3]));
    await mkdir(join(dir, 'unrelated'));
    await copyFile(join(dir, 'wal-0000000000000002.log'), join(dir, SEGMENT));
    await writeFile(join(dir, SEGMENT), new Uint8Array([9, 9, 9]));
    const again = await openFileStorage(dir, { logger: recorder() });
    expect(again.firstIndex()).toBe(5);
    expect(again.entries(5, 7)).toEqual([entry(5), entry(6)]);
    await again.close();
    expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'unrelated', 'wal-0000000000000002.log']);
  });
});
