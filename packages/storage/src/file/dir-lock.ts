/**
 * @module file/dir-lock
 * One process per data directory: a LOCK file holding the owner's pid. It is created atomically
 * with its content (written to a private temporary name, then hard-linked into place, which fails
 * if LOCK exists), so a reader never sees an empty lock. A lock whose pid is no longer running is
 * stale (the owner crashed) and is taken over.
 */
import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirLockedError, DataDirUnusableError } from './errors.js';

export const LOCK_FILE = 'LOCK';

export interface DirLock {
  release(): Promise<void>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** The pid in the lock file; 0 if it holds no pid, null if the file is gone. */
async function readHolder(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
}

const TEMPORARY = /^LOCK\.(\d+)\.[a-z0-9]+$/;

/** Temporary lock files left by processes killed mid-acquire. */
async function removeDeadTemporaries(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  try {
    await writeFile(tmp, `${process.pid}\n`);
  } catch (err) {
    // The first file written in the directory: failing here means no file can be (EACCES, EROFS, ...).
    throw new DataDirUnusableError(dir, `cannot write files in it (${errno(err) ?? String(err)})`, { cause: err });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        await removeDeadTemporaries(dir);
        return { release: () => unlink(path) };
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
      const holder = await readHolder(path);
      // A lock without a pid cannot come from acquireDirLock (the content is in place before
      // the link): someone else made it, so leave it alone. A few attempts are enough: more
      // conflicts mean live processes keep winning the race.
      if (holder === 0 || (holder !== null && isRunning(holder)) || attempt >= 3) {
        throw new DataDirLockedError(dir, holder ?? 0);
      }
      if (holder === null) continue; // released meanwhile
      await unlink(path).catch((err: unknown) => {
        if (errno(err) !== 'ENOENT') throw err;
      });
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
