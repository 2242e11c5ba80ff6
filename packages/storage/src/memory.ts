/**
 * @module memory
 * The reference DurableStorage: everything lives in the view, nothing survives the process.
 * For tests, simulations and nodes that rejoin from a snapshot anyway.
 */
import type { Snapshot } from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from './durable-storage.js';
import { ViewStorage } from './view-storage.js';

class MemoryDurableStorage extends ViewStorage {
  constructor() {
    super();
  }

  async save(update: StorageUpdate): Promise<void> {
    this.applyUpdate(update);
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.applyCompact(snapshot);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.applyMeta(key, value);
  }

  async close(): Promise<void> {
    this.markClosed();
  }
}

/** A DurableStorage held in memory only; "durable" means "applied" here. */
export function createMemoryStorage(): DurableStorage {
  return new MemoryDurableStorage();
}
