/**
 * @module file/data-dir
 * Creates a data directory and its missing parents one level at a time. Node's
 * `mkdir(dir, { recursive: true })` loops forever where a parent exists but refuses children
 * with ENOENT (procfs: `/proc/x`), so it is not used; each step here either succeeds or becomes
 * a DataDirUnusableError naming the path and the reason.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DataDirUnusableError } from './errors.js';

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Whether `path` is a directory; null when it (or a parent) does not exist. */
async function isDirectory(dir: string, path: string): Promise<boolean | null> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DataDirUnusableError(dir, `cannot inspect ${path} (${code ?? String(err)})`, { cause: err });
  }
}

/** Makes sure `dir` is a directory, creating it and missing parents. */
export async function ensureDataDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    const found = await isDirectory(dir, path);
    if (found === true) break;
    if (found === false) throw new DataDirUnusableError(dir, path === resolve(dir) ? 'it is not a directory' : `${path} is not a directory`);
    missing.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (err) {
      // EEXIST: created meanwhile (another process); fine if it is a directory.
      if (errno(err) === 'EEXIST' && (await isDirectory(dir, path)) === true) continue;
      throw new DataDirUnusableError(dir, `cannot create ${path} (${errno(err) ?? String(err)})`, { cause: err });
    }
  }
}
