import { createMemoryStorage } from '@meshraft/storage';
import { describeStorageContract } from './testing/vitest.js';

describeStorageContract('createMemoryStorage', async () => ({ storage: createMemoryStorage() }), { persistent: false });
