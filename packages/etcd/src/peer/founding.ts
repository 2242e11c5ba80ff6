/**
 * @module founding
 * `meshraft peer --bootstrap` on a fresh data directory first asks the room whether it already
 * has a cluster (the signaling server's record, docs/runtime.md "Founding and forks") and refuses
 * with ClusterExistsError (exit 2) before the directory is created. A peer whose history lost a
 * fork writes its committed commands to `fork-entries.json` in its data directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoomRecordValue, SignalingClient } from '@meshraft/transport';
import type { ForkEvent } from 'meshraft';

/** The file a forked peer's commands are written to, in its data directory. */
export const FORK_FILE = 'fork-entries.json';

/** No directory yet, or an empty one: nothing of a member is in it. */
export async function isFreshDataDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** A node id for a founder that has no data directory yet (createNode's would be minted later). */
export function newPeerId(): string {
  return randomBytes(12).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x').slice(0, 16);
}

/**
 * What the room recorded, once the client joined; `joined: false` if it did not join within
 * `timeoutMs` (the founder then goes on: a fork would still be detected later).
 */
export async function askRoom(client: SignalingClient, timeoutMs: number): Promise<{ readonly joined: false } | { readonly joined: true; readonly recorded: RoomRecordValue }> {
  let timer: NodeJS.Timeout | undefined;
  const joined = await Promise.race([
    client.whenJoined().then(() => true, () => false),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  return joined ? { joined, recorded: client.clusterRecord.recorded() } : { joined };
}

/** JSON with byte strings as `{ "base64": "..." }` (KV keys and values are bytes). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { base64: Buffer.from(v).toString('base64') } : v), 1);
}

/** Writes the fork's commands (temporary file, fsync, rename) and returns the file's path. */
export async function writeForkFile(dataDir: string, e: ForkEvent): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FORK_FILE);
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(`${toJson({ clusterId: e.clusterId, survivorId: e.survivorId, snapshotIndex: e.snapshotIndex, entries: e.entries })}\n`);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  return path;
}
