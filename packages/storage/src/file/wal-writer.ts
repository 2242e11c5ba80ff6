/**
 * @module file/wal-writer
 * The single writer of a data directory, with group commit: frames queued while a write+fsync is
 * in flight go out together in the next one, so N concurrent saves cost one fsync. Checkpoints
 * run in the same queue, in call order: they start a new segment and delete the older ones.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageIOError } from './errors.js';
import { encodeFrame } from './frame.js';
import { fsyncDir, writeAll, writeFileAtomic } from './fs-util.js';
import { CHECKPOINT_FILE, segmentName, type FileLayoutOptions } from './layout.js';
import { encodeCheckpointFrame } from './records.js';

interface Job {
  /** A framed WAL record to append, or the body of a checkpoint to write. */
  readonly frame?: Uint8Array;
  readonly checkpointBody?: Uint8Array;
  resolve(): void;
  reject(err: unknown): void;
}

export interface ActiveSegment {
  readonly seq: number;
  /** Bytes of valid records already in it (0 for a new segment). */
  readonly size: number;
  readonly exists: boolean;
}

export class WalWriter {
  private readonly queue: Job[] = [];
  private draining: Promise<void> | undefined;
  private failure: StorageIOError | undefined;

  private constructor(
    private readonly opts: FileLayoutOptions,
    private handle: FileHandle,
    private seq: number,
    private size: number,
    /** The oldest segment still on disk, so checkpoints know what to delete. */
    private oldestSeq: number,
  ) {}

  static async open(opts: FileLayoutOptions, active: ActiveSegment, oldestSeq: number): Promise<WalWriter> {
    const path = join(opts.dir, segmentName(active.seq));
    const handle = await open(path, active.exists ? 'a' : 'wx');
    if (!active.exists && opts.fsync) await fsyncDir(opts.dir);
    return new WalWriter(opts, handle, active.seq, active.size, oldestSeq);
  }

  /** Throws the I/O failure that made this writer unusable, if any. */
  checkUsable(): void {
    if (this.failure) throw this.failure;
  }

  append(frame: Uint8Array): Promise<void> {
    return this.enqueue({ frame });
  }

  checkpoint(body: Uint8Array): Promise<void> {
    return this.enqueue({ checkpointBody: body });
  }

  /** Waits for queued work, then closes the active segment. */
  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.handle.close();
  }

  private enqueue(work: Pick<Job, 'frame' | 'checkpointBody'>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...work, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Jobs queued after the loop's last look but before this callback would be stranded.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.checkpointBody !== undefined) {
        this.queue.shift();
        await this.run([head], () => this.writeCheckpoint(head.checkpointBody!));
        continue;
      }
      let n = 1;
      while (n < this.queue.length && this.queue[n]!.frame !== undefined) n++;
      const batch = this.queue.splice(0, n);
      await this.run(batch, () => this.appendFrames(batch.map((j) => j.frame!)));
    }
  }

  private async run(jobs: readonly Job[], work: () => Promise<void>): Promise<void> {
    try {
      if (this.failure) throw this.failure;
      await work();
    } catch (cause) {
      this.failure ??= new StorageIOError(`writing to ${this.opts.dir} failed`, { cause });
      for (const job of [...jobs, ...this.queue.splice(0)]) job.reject(this.failure);
      return;
    }
    for (const job of jobs) job.resolve();
  }

  private async appendFrames(frames: readonly Uint8Array[]): Promise<void> {
    let total = 0;
    for (const f of frames) total += f.length;
    if (this.size > 0 && this.size + total > this.opts.segmentBytes) await this.startSegment(this.seq + 1);
    // One write for the whole batch: fewer syscalls, and one place where a crash can tear it.
    const batch = new Uint8Array(total);
    let at = 0;
    for (const f of frames) {
      batch.set(f, at);
      at += f.length;
    }
    await writeAll(this.handle, batch);
    if (this.opts.fsync) await this.handle.datasync();
    this.size += total;
  }

  private async startSegment(seq: number): Promise<void> {
    await this.handle.close();
    this.handle = await open(join(this.opts.dir, segmentName(seq)), 'wx');
    if (this.opts.fsync) await fsyncDir(this.opts.dir);
    this.seq = seq;
    this.size = 0;
  }

  /** Replaces the checkpoint, starts a fresh segment for what follows, then drops the old ones. */
  private async writeCheckpoint(body: Uint8Array): Promise<void> {
    const next = this.seq + 1;
    await writeFileAtomic(this.opts.dir, CHECKPOINT_FILE, encodeCheckpointFrame(next, body), this.opts.fsync);
    await this.startSegment(next);
    // Obsolete now; a crash before they are gone is harmless (recovery deletes them too).
    for (let seq = this.oldestSeq; seq < next; seq++) {
      const name = segmentName(seq);
      await unlink(join(this.opts.dir, name)).catch((err: unknown) => {
        this.opts.logger.warn('could not delete an obsolete WAL segment', { file: name, error: String(err) });
      });
    }
    this.oldestSeq = next;
  }
}
