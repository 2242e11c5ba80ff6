/**
 * File-backend behaviour beyond the shared contract: the directory lock, segment rotation and
 * deletion, group commit, I/O failures and options.
 */
import { spawn } from 'node:child_process';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_CONF_STATE, EntryType, type Entry } from '@meshraft/core';
import {
  DataDirLockedError,
  InvalidOptionsError,
  openFileStorage,
  StorageIOError,
} from '@meshraft/storage/file';
import { tempDirs } from '../__tests__/temp-dir.js';

const newDir = tempDirs();
const quiet = { warn: () => undefined };

function entries(lo: number, hi: number, size = 50): Entry[] {
  const out: Entry[] = [];
  for (let index = lo; index <= hi; index++) out.push({ index, term: 1, type: EntryType.Normal, data: new Uint8Array(size).fill(index) });
  return out;
}

const segments = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort();

/** The FileHandle prototype, to count or break fsyncs. */
async function fileHandleProto(dir: string): Promise<{ datasync(): Promise<void> }> {
  const h = await open(join(dir, 'probe'), 'w');
  await h.close();
  return Object.getPrototypeOf(h) as { datasync(): Promise<void> };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('data directory lock', () => {
  it('a second open of a held directory rejects with DATA_DIR_LOCKED; closing releases it', async () => {
    const dir = await newDir();
    const first = await openFileStorage(dir, { logger: quiet });
    const err = await openFileStorage(dir, { logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect(err).toMatchObject({ code: 'DATA_DIR_LOCKED', dir, pid: process.pid });
    await first.close();
    const second = await openFileStorage(dir, { logger: quiet });
    await second.close();
  });

  it('a lock held by another running process is respected, one of a dead process is taken over', async () => {
    const dir = await newDir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'LOCK'), `${sleeper.pid}\n`);
      await expect(openFileStorage(dir, { logger: quiet })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED', pid: sleeper.pid });
    } finally {
      const exited = new Promise((resolve) => sleeper.on('exit', resolve));
      sleeper.kill('SIGKILL');
      await exited;
    }
    const s = await openFileStorage(dir, { logger: quiet });
    await s.save({ entries: entries(1, 1) });
    await s.close();
  });

  it('a lock file without a pid is not taken over', async () => {
    const dir = await newDir();
    await writeFile(join(dir, 'LOCK'), 'held by an operator\n');
    await expect(openFileStorage(dir, { logger: quiet })).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it('temporary lock files of processes killed mid-open are cleaned up', async () => {
    const dir = await newDir();
    await writeFile(join(dir, 'LOCK.999999999.abc123'), '999999999\n');
    await writeFile(join(dir, `LOCK.${process.pid}.def456`), `${process.pid}\n`);
    const s = await openFileStorage(dir, { logger: quiet });
    const names = await readdir(dir);
    expect(names).not.toContain('LOCK.999999999.abc123');
    // A live process's temporary may be mid-acquire: left alone.
    expect(names).toContain(`LOCK.${process.pid}.def456`);
    await s.close();
  });

  it('a failed open releases the lock', async () => {
    const dir = await newDir();
    await writeFile(join(dir, 'checkpoint'), new Uint8Array([1, 2, 3]));
    await expect(openFileStorage(dir, { logger: quiet })).rejects.toMatchObject({ code: 'CORRUPT_LOG' });
    expect(await readdir(dir)).not.toContain('LOCK');
  });
});

describe('segments', () => {
  it('rotate at segmentBytes, and compaction deletes the ones it covers', async () => {
    const dir = await newDir();
    const s = await openFileStorage(dir, { segmentBytes: 1000, logger: quiet });
    for (let i = 1; i <= 100; i += 5) await s.save({ entries: entries(i, i + 4) });
    const before = await segments(dir);
    expect(before.length).toBeGreaterThan(5);
    await s.compact({ metadata: { index: 90, term: 1, confState: EMPTY_CONF_STATE }, data: new Uint8Array(4) });
    // Entries 91-100 moved into the checkpoint; every old segment is gone.
    expect(await segments(dir)).toEqual([`wal-${String(before.length + 1).padStart(16, '0')}.log`]);
    await s.save({ entries: entries(101, 101) });
    await s.close();
    const again = await openFileStorage(dir, { segmentBytes: 1000, logger: quiet });
    expect(again.firstIndex()).toBe(91);
    expect(again.entries(91, 102)).toEqual(entries(91, 101));
    await again.close();
  });

  it('a batch larger than a segment goes whole into one', async () => {
    const dir = await newDir();
    const s = await openFileStorage(dir, { segmentBytes: 100, logger: quiet });
    await s.save({ entries: entries(1, 20) });
    await s.save({ entries: entries(21, 40) });
    expect(await segments(dir)).toHaveLength(2);
    await s.close();
  });
});

describe('group commit', () => {
  it('saves issued while an fsync is in flight share the next one', async () => {
    const dir = await newDir();
    const proto = await fileHandleProto(dir);
    const s = await openFileStorage(dir, { logger: quiet });
    const datasync = vi.spyOn(proto, 'datasync');
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.save({ entries: entries(i + 1, i + 1) })));
    // The first save starts a write alone; the other 99 are queued behind it and go together.
    expect(datasync).toHaveBeenCalledTimes(2);
    expect(s.lastIndex()).toBe(100);
    await s.close();
  });

  it('fsync: false never syncs', async () => {
    const dir = await newDir();
    const proto = await fileHandleProto(dir);
    const s = await openFileStorage(dir, { fsync: false, logger: quiet });
    const datasync = vi.spyOn(proto, 'datasync');
    await s.save({ entries: entries(1, 3) });
    expect(datasync).not.toHaveBeenCalled();
    await s.close();
  });
});

describe('I/O failure', () => {
  it('a failed fsync rejects that save and every later write with STORAGE_IO_FAILED', async () => {
    const dir = await newDir();
    const proto = await fileHandleProto(dir);
    const s = await openFileStorage(dir, { logger: quiet });
    await s.save({ entries: entries(1, 1) });
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(eio);
    const err = await s.save({ entries: entries(2, 2) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageIOError);
    expect(err).toMatchObject({ code: 'STORAGE_IO_FAILED', cause: eio });
    await expect(s.save({ entries: entries(3, 3) })).rejects.toBe(err);
    await expect(s.setMeta('k', 'v')).rejects.toBe(err);
    await s.close();
    // Reopening starts over from what is on disk.
    const again = await openFileStorage(dir, { logger: quiet });
    expect(again.lastIndex()).toBeGreaterThanOrEqual(1);
    await again.close();
  });
});

describe('options', () => {
  it('bad options reject with INVALID_OPTIONS before touching the disk', async () => {
    const dir = await newDir();
    await expect(openFileStorage(dir, { segmentBytes: 0 })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(openFileStorage(dir, { segmentBytes: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(openFileStorage('')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(await readdir(dir)).toEqual([]);
  });
});
