/**
 * @module storage-slot
 * Which IndexedDB database this tab uses. Every tab of a room is its own Raft member, so tabs of
 * one browser need distinct databases, and a reloaded tab must get its own back:
 * - `?node=NAME` names it outright (tests);
 * - otherwise the slot this tab had (sessionStorage survives a reload, per tab), else the first
 *   slot no other tab holds (the storage's Web Lock says which are taken). A tab opened after all
 *   others closed takes over slot 0 with its log, so the room's state comes back from disk.
 */
import { IndexedDbLockedError, openIndexedDbStorage, type IndexedDbStorage } from '@meshraft/storage/indexeddb';

const MAX_SLOTS = 32;

export interface OpenedStorage {
  readonly storage: IndexedDbStorage;
  /** The database name. */
  readonly name: string;
}

interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function databaseFor(room: string, slot: string): string {
  return `meshraft-demo/${room}/${slot}`;
}

export async function openBoardStorage(
  cluster: string,
  room: string,
  node: string | null,
  session: SessionStore | null = globalThis.sessionStorage ?? null,
): Promise<OpenedStorage> {
  const open = (slot: string) => {
    const name = databaseFor(room, slot);
    return openIndexedDbStorage({ cluster, name, durability: 'strict' }).then((storage) => ({ storage, name }));
  };
  if (node !== null) return open(node);
  const memoKey = `meshraft-demo:slot:${room}`;
  const remembered = session?.getItem(memoKey) ?? null;
  const slots = [...(remembered ? [remembered] : []), ...Array.from({ length: MAX_SLOTS }, (_, i) => `slot-${i}`)];
  let lastLocked: unknown;
  for (const slot of slots) {
    try {
      const opened = await open(slot);
      session?.setItem(memoKey, slot);
      return opened;
    } catch (err) {
      // A duplicated tab copies sessionStorage: its remembered slot is held by the original.
      if (!(err instanceof IndexedDbLockedError)) throw err;
      lastLocked = err;
    }
  }
  throw lastLocked instanceof Error ? lastLocked : new Error('no free storage slot');
}
