/**
 * @module file/file-storage
 * The file backend: a DurableStorage in a directory, for Node and Deno. Saves append one framed
 * record each to the WAL (group-committed, one fsync per batch); snapshots and compactions write
 * a new checkpoint atomically and drop the WAL segments it replaces. Reads come from the view.
 */
import { MeshraftError, type Snapshot } from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from '../durable-storage.js';
import { ViewStorage, type ViewState } from '../view-storage.js';
import { ensureDataDir } from './data-dir.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { CorruptLogError, InvalidOptionsError } from './errors.js';
import { encodeFrame } from './frame.js';
import type { FileLayoutOptions, StorageLogger } from './layout.js';
import { recoverDataDir, type RecoveredRecord } from './recovery.js';
import { encodeCheckpointBody, encodeRecord } from './records.js';
import { WalWriter } from './wal-writer.js';

export interface FileStorageOptions {
  /**
   * true (default): a save resolves only after fsync, so acknowledged state survives power loss
   * and kernel crashes. false: it resolves once the OS has the data; that survives the process
   * being killed but not the machine going down (tests, throwaway nodes, benchmarks).
   */
  readonly fsync?: boolean;
  /** A WAL segment is closed and a new one started once it would pass this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Receives recovery warnings (a torn tail truncated). Default: console.warn. */
  readonly logger?: StorageLogger;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

const consoleLogger: StorageLogger = {
  warn: (message, details) => console.warn(`[meshraft/storage] ${message}`, details),
};

class FileStorage extends ViewStorage {
  constructor(
    state: ViewState,
    records: readonly RecoveredRecord[],
    private readonly wal: WalWriter,
    private readonly lock: DirLock,
  ) {
    super(state);
    for (const r of records) this.replay(r);
  }

  private replay({ file, offset, record }: RecoveredRecord): void {
    try {
      if (record.kind === 'meta') this.applyMeta(record.key, record.value);
      else this.applyUpdate(record);
    } catch (err) {
      if (!(err instanceof MeshraftError)) throw err;
      throw new CorruptLogError(file, offset, `record does not fit the log before it (${err.message})`);
    }
  }

  async save(update: StorageUpdate): Promise<void> {
    this.checkOpen();
    this.wal.checkUsable();
    const applied = this.applyUpdate(update);
    // A snapshot replaces the whole log: write it as a checkpoint rather than into the WAL.
    if (applied.snapshot !== undefined) return this.wal.checkpoint(encodeCheckpointBody(this.viewState()));
    return this.wal.append(encodeFrame(encodeRecord({ kind: 'update', ...applied })));
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.checkOpen();
    this.wal.checkUsable();
    this.applyCompact(snapshot);
    return this.wal.checkpoint(encodeCheckpointBody(this.viewState()));
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.checkOpen();
    this.wal.checkUsable();
    this.applyMeta(key, value);
    return this.wal.append(encodeFrame(encodeRecord({ kind: 'meta', key, value })));
  }

  async close(): Promise<void> {
    if (!this.markClosed()) return;
    try {
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }
}

function resolveOptions(dir: string, options: FileStorageOptions): FileLayoutOptions {
  if (typeof dir !== 'string' || dir === '') throw new InvalidOptionsError('dir must be a non-empty path');
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
    throw new InvalidOptionsError(`segmentBytes must be a positive integer, got ${String(segmentBytes)}`);
  }
  const fsync = options.fsync ?? true;
  if (typeof fsync !== 'boolean') throw new InvalidOptionsError('fsync must be a boolean');
  return { dir, fsync, segmentBytes, logger: options.logger ?? consoleLogger };
}

/**
 * Opens (creating if needed) the storage in `dir`, recovering what a crash left behind. Rejects
 * with DataDirLockedError if another process has it open, CorruptLogError if acknowledged data is
 * damaged, DataDirUnusableError if `dir` cannot be created or written, InvalidOptionsError for
 * bad options.
 */
export async function openFileStorage(dir: string, options: FileStorageOptions = {}): Promise<DurableStorage> {
  const opts = resolveOptions(dir, options);
  await ensureDataDir(dir);
  const lock = await acquireDirLock(dir);
  try {
    const recovered = await recoverDataDir(opts);
    const wal = await WalWriter.open(opts, recovered.active, recovered.oldestSeq);
    try {
      return new FileStorage(recovered.checkpoint.state, recovered.records, wal, lock);
    } catch (err) {
      await wal.close();
      throw err;
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
}
