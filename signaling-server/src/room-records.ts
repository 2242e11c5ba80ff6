/**
 * @module room-records
 * The first cluster id announced in each room, so a room remembers its cluster while nobody is
 * online (docs/runtime.md "Founding and forks"). A later, different id is never recorded: it is
 * reported as a conflict. With a data path the records survive a restart: each change is
 * written to a temporary file, fsynced, renamed over the old one and the directory fsynced, so a
 * crash leaves either the old file or the new one, never half of one.
 */
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { isClusterIdText } from './protocol.js';

const FILE_NAME = 'signaling-rooms.json';

/** The data file cannot be read or is not a records file. Code `ROOM_RECORDS_UNREADABLE`. */
export class RoomRecordsError extends Error {
  readonly code = 'ROOM_RECORDS_UNREADABLE';
  constructor(readonly path: string, reason: string) {
    super(`room records ${path}: ${reason}`);
  }
}

export type ClaimResult = 'recorded' | 'same' | 'conflict';

export interface RoomRecords {
  get(room: string): string | undefined;
  /** Records `id` for `room` if it has none; resolves once it is durable (with a data path). */
  claim(room: string, id: string): { readonly result: ClaimResult; readonly durable: Promise<void> };
  readonly size: number;
  /** The file the records are kept in, or null (memory only). */
  readonly path: string | null;
}

/** `--data FILE|DIR`: an existing directory (or a path ending in /) holds signaling-rooms.json. */
async function resolvePath(data: string): Promise<string> {
  if (data.endsWith('/')) return join(data, FILE_NAME);
  const s = await stat(data).catch(() => null);
  return s?.isDirectory() ? join(data, FILE_NAME) : data;
}

async function load(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new RoomRecordsError(path, (err as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RoomRecordsError(path, 'not JSON');
  }
  const rooms = (value as { rooms?: unknown } | null)?.rooms;
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms)) throw new RoomRecordsError(path, 'no "rooms" object');
  const out = new Map<string, string>();
  for (const [room, id] of Object.entries(rooms)) {
    if (!isClusterIdText(id)) throw new RoomRecordsError(path, `room ${JSON.stringify(room)} has no valid cluster id`);
    out.set(room, id);
  }
  return out;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(text);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
  const d = await open(dirname(path), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Records in memory, persisted to `data` (a file or directory) when given. */
export async function openRoomRecords(data?: string): Promise<RoomRecords> {
  const path = data === undefined ? null : await resolvePath(data);
  const rooms = path ? await load(path) : new Map<string, string>();
  // Writes run one after another; each writes the whole (small) table as it is then.
  let chain: Promise<void> = Promise.resolve();
  const persist = (): Promise<void> => {
    if (!path) return Promise.resolve();
    chain = chain.then(() => writeAtomically(path, `${JSON.stringify({ version: 1, rooms: Object.fromEntries(rooms) }, null, 1)}\n`));
    return chain;
  };
  return {
    get: (room) => rooms.get(room),
    claim(room, id) {
      const held = rooms.get(room);
      if (held === id) return { result: 'same', durable: chain };
      if (held !== undefined) return { result: 'conflict', durable: Promise.resolve() };
      rooms.set(room, id);
      return { result: 'recorded', durable: persist() };
    },
    get size() {
      return rooms.size;
    },
    path,
  };
}
