/**
 * @module indexeddb/node-lock
 * One open handle per database across every tab and worker of the origin, through the Web Locks
 * API. Two handles on one node's log would each append their own entries under the same node id
 * and break every Raft promise that node made; the second open is refused instead.
 */
import { IndexedDbLockedError } from './errors.js';

/** The part of the Web Locks LockManager used here (navigator.locks). */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

export function defaultLockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks;
}

/**
 * Takes the lock for database `name` without waiting; resolves to its release function, or
 * rejects with IndexedDbLockedError when another handle holds it.
 */
export function acquireNodeLock(locks: LockManagerLike, name: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    locks
      .request(`meshraft-storage:${name}`, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          reject(new IndexedDbLockedError(name));
          return;
        }
        // The lock is held for as long as this promise is pending.
        return new Promise<void>((release) => resolve(release));
      })
      .catch(reject);
  });
}
