/**
 * @module indexeddb/open-database
 * Opens (creating or upgrading) the node's database on an injected or global IDBFactory and maps
 * every way that can fail to IndexedDbUnavailableError. idb's openDB always uses the global
 * factory, so the open request is driven here and the connection wrapped with idb's `wrap`.
 */
import { wrap, type IDBPDatabase } from 'idb';
import { IndexedDbUnavailableError, type IndexedDbUnavailableReason } from './errors.js';
import { SCHEMA_VERSION, upgradeSchema, type MeshraftDb } from './schema.js';

export interface OpenDatabaseHooks {
  /** The connection is gone (closed here for a versionchange, or by the browser). */
  onLost(reason: IndexedDbUnavailableReason): void;
}

export function openDatabase(
  factory: IDBFactory,
  name: string,
  hooks: OpenDatabaseHooks,
): Promise<IDBPDatabase<MeshraftDb>> {
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, SCHEMA_VERSION);
  } catch (err) {
    // Firefox private windows and opaque origins throw synchronously (SecurityError).
    return Promise.reject(new IndexedDbUnavailableError('open-failed', `cannot open ${name}`, { cause: err }));
  }
  return new Promise((resolve, reject) => {
    let gaveUp = false;
    request.onupgradeneeded = (event) => {
      upgradeSchema(request.result, event.oldVersion);
    };
    request.onblocked = () => {
      // The request stays pending until the other connection closes; give up now so the host
      // can tell the user, and close the connection if it opens after all (see onsuccess).
      gaveUp = true;
      reject(new IndexedDbUnavailableError('blocked', `another connection keeps ${name} open at an older version`));
    };
    request.onerror = (event) => {
      event.preventDefault();
      const error = request.error;
      const reason = error?.name === 'VersionError' ? 'version' : 'open-failed';
      reject(new IndexedDbUnavailableError(reason, `cannot open ${name}: ${error?.message ?? 'unknown error'}`, { cause: error }));
    };
    request.onsuccess = () => {
      const db = request.result;
      if (gaveUp) {
        db.close();
        return;
      }
      // Another tab upgrading or deleting this database must not wait on us: close and report.
      db.onversionchange = () => {
        db.close();
        hooks.onLost('versionchange');
      };
      db.onclose = () => hooks.onLost('terminated');
      try {
        resolve(wrap(db) as IDBPDatabase<MeshraftDb>);
      } catch (err) {
        // A throw here would vanish into the event loop and leave the open pending forever.
        db.close();
        reject(new IndexedDbUnavailableError('open-failed', `cannot use ${name}`, { cause: err }));
      }
    };
  });
}
