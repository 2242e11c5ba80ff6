import { IDBKeyRange } from 'fake-indexeddb';
import { describeStorageContract } from '../testing/vitest.js';
import { fakeIdb } from './__tests__/fake-idb.js';
import { openIndexedDbStorage, type IndexedDbDurability } from './index.js';

// The shared DurableStorage contract on fake-indexeddb; each case gets its own fresh factory.
for (const durability of ['strict', 'relaxed'] as const satisfies readonly IndexedDbDurability[]) {
  describeStorageContract(
    `openIndexedDbStorage (${durability})`,
    async () => {
      const { factory } = fakeIdb();
      const options = { cluster: 'contract', nodeId: 'n1', indexedDB: factory, keyRange: IDBKeyRange, durability };
      return { storage: await openIndexedDbStorage(options), reopen: () => openIndexedDbStorage(options) };
    },
    { persistent: true },
  );
}
