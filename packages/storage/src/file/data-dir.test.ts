/**
 * Data directory creation: missing parents are created, a file in the way or a directory that
 * cannot be created is a DataDirUnusableError at once. `/proc/x` is the case Node's recursive
 * mkdir never returns from (procfs answers ENOENT for a parent that exists).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDataDir } from './data-dir.js';
import { DataDirUnusableError } from './errors.js';
import { openFileStorage } from './file-storage.js';

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'meshraft-datadir-'));
  made.push(d);
  return d;
}

/** Rejects if `p` has not settled within `ms`: a hang fails the test instead of timing it out. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms).unref())]);
}

describe('ensureDataDir', () => {
  it('creates missing parents, accepts an existing directory, and survives a concurrent creator', async () => {
    const base = await temp();
    const dir = join(base, 'a', 'b', 'c');
    await Promise.all([ensureDataDir(dir), ensureDataDir(dir), ensureDataDir(join(dir, '..'))]);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await ensureDataDir(dir);
  });

  it.each([
    ['a file', (f: string) => f, /is unusable: it is not a directory/],
    ['a path below a file', (f: string) => join(f, 'sub'), /is unusable: .*file is not a directory/],
    ['a directory procfs refuses to create', () => '/proc/meshraft-x/y', /is unusable: cannot create \/proc\/meshraft-x \(ENOENT\)/],
  ])('%s: DataDirUnusableError (DATA_DIR_UNUSABLE) within a second', async (_name, path, message) => {
    const file = join(await temp(), 'file');
    await writeFile(file, 'not a directory');
    const err = await within(1000, ensureDataDir(path(file))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirUnusableError);
    expect((err as DataDirUnusableError).code).toBe('DATA_DIR_UNUSABLE');
    expect((err as Error).message).toMatch(message);
  });

  it('openFileStorage rejects an uncreatable directory and one it cannot write in, without hanging', async () => {
    for (const [dir, message] of [
      ['/proc/meshraft-x', /cannot create \/proc\/meshraft-x/],
      ['/proc', /cannot write files in it/],
    ] as const) {
      const err = await within(1000, openFileStorage(dir)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirUnusableError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
