import { openFileStorage } from '@meshraft/storage/file';
import { describeStorageContract } from '../testing/vitest.js';
import { tempDirs } from '../__tests__/temp-dir.js';

const newDir = tempDirs();
const quiet = { warn: () => undefined };

describeStorageContract(
  'openFileStorage',
  async () => {
    const dir = await newDir();
    return {
      storage: await openFileStorage(dir, { logger: quiet }),
      reopen: () => openFileStorage(dir, { logger: quiet }),
    };
  },
  { persistent: true },
);

describeStorageContract(
  'openFileStorage with tiny segments and fsync off',
  async () => {
    const dir = await newDir();
    const options = { logger: quiet, fsync: false, segmentBytes: 64 };
    return { storage: await openFileStorage(dir, options), reopen: () => openFileStorage(dir, options) };
  },
  { persistent: true },
);
