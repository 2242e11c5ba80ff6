/**
 * @module file/fs-util
 * The few file system steps durability rests on, written once. Only node:fs/promises calls that
 * Deno's Node compatibility layer supports are used, so the backend runs on both.
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes all of `bytes` at the handle's current position (a write may be partial). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, null);
    done += bytesWritten;
  }
}

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `dir/name` with `bytes` so that after a crash it holds either the old or the new
 * content: write a temporary file, fsync it, rename it over the old one, fsync the directory.
 * Without `durable` the fsyncs are skipped (atomic still, but not durable across power loss).
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array, durable: boolean): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await writeAll(handle, bytes);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  if (durable) await fsyncDir(dir);
}
