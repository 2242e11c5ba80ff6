/**
 * A memory DurableStorage that can be closed and opened again with its contents (the memory
 * backend of @meshraft/storage forgets everything): models a reloaded tab over IndexedDB.
 */
import type { Snapshot } from '@meshraft/core';
import { ViewStorage, type DurableStorage, type StorageUpdate, type ViewState } from '@meshraft/storage';

interface Disk {
  state?: ViewState;
}

class DiskBackedStorage extends ViewStorage {
  constructor(private readonly disk: Disk) {
    super(disk.state);
  }

  private flush(): void {
    const s = this.viewState();
    this.disk.state = { ...s, meta: new Map(s.meta) };
  }

  async save(update: StorageUpdate): Promise<void> {
    this.applyUpdate(update);
    this.flush();
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.applyCompact(snapshot);
    this.flush();
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.applyMeta(key, value);
    this.flush();
  }

  async close(): Promise<void> {
    this.markClosed();
  }
}

export interface ReopenableStorage {
  /** A fresh handle over what earlier handles persisted. */
  open(): DurableStorage;
}

export function reopenableStorage(): ReopenableStorage {
  const disk: Disk = {};
  return { open: () => new DiskBackedStorage(disk) };
}
