import { createMemoryStorage } from '@meshraft/storage';
import { describeStorageContract } from './__tests__/contract.js';

describeStorageContract('createMemoryStorage', async () => ({ storage: createMemoryStorage() }), { persistent: false });
