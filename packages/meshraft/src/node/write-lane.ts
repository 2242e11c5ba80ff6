/**
 * @module write-lane
 * The node's disk writes, in the order the core handed out its Readies, with at most one
 * storage write in flight. Readies that arrive while a write runs are merged into the next one
 * (group commit): a busy leader pays one IndexedDB transaction or fsync per round trip instead of
 * one per Ready, and the Ready loop never waits for the disk (see docs/runtime.md, "Pipelined
 * Readies").
 *
 * After a failed write the lane writes nothing more: a later write on top of a lost one would
 * leave a hole in the log.
 */
import type { Entry, HardState, Snapshot } from '@meshraft/core';
import type { StorageUpdate } from '@meshraft/storage';

/** One Ready's share of the disk, and what to do once it (and every earlier job) is durable. */
export interface WriteJob {
  readonly entries: readonly Entry[];
  readonly hardState?: HardState | undefined;
  readonly snapshot?: Snapshot | undefined;
  /**
   * Whether this job needs a write at all. A commit-only hard state does not: it is deferred and
   * rides along with the next write (or is written at stop).
   */
  readonly mustWrite: boolean;
  /** Runs alone: earlier jobs finish first and later ones are not merged into its write. */
  readonly exclusive?: boolean;
  /** Called in job order once the job's write is durable. */
  after(): void | Promise<void>;
}

/** A piece of storage work (compaction, metadata) that runs between writes, in order. */
export interface LaneTask {
  run(): Promise<void>;
}

export interface WriteLaneOptions {
  save(update: StorageUpdate): Promise<void>;
  /** The first failure; the lane is dead afterwards. */
  onError(err: unknown): void;
  /** How long each storage write took (ms), for the metrics. */
  onSaved?(ms: number, update: StorageUpdate): void;
  now(): number;
}

type Item = { kind: 'write'; job: WriteJob } | { kind: 'task'; task: LaneTask };

/**
 * Entries of consecutive Readies as one append: a later Ready's entries replace every queued
 * entry at or above its first index (the core only hands out such a suffix after a conflict).
 */
export function mergeEntries(lists: readonly (readonly Entry[])[]): Entry[] {
  let out: Entry[] = [];
  for (const list of lists) {
    const first = list[0];
    if (first === undefined) continue;
    const head = out[0];
    const keep = head === undefined ? 0 : Math.max(0, first.index - head.index);
    out = keep >= out.length ? out.concat(list) : out.slice(0, keep).concat(list);
  }
  return out;
}

export class WriteLane {
  private readonly queue: Item[] = [];
  private running: Promise<void> | undefined;
  private dead = false;
  /** A commit-only hard state not yet written. */
  private deferred: HardState | undefined;
  /** The last hard state known durable. */
  private durable: HardState;

  constructor(
    initial: HardState,
    private readonly opts: WriteLaneOptions,
  ) {
    this.durable = initial;
  }

  get durableHardState(): HardState {
    return this.durable;
  }

  /** Whether nothing is queued or being written. */
  get idle(): boolean {
    return this.running === undefined && this.queue.length === 0;
  }

  write(job: WriteJob): void {
    this.push({ kind: 'write', job });
  }

  task(task: LaneTask): void {
    this.push({ kind: 'task', task });
  }

  /** Resolves once everything queued so far is done (or the lane died). */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Writes a deferred commit-only hard state (at stop); nothing if none or the lane is dead. */
  async flushDeferred(): Promise<void> {
    await this.drained();
    const hs = this.deferred;
    if (hs === undefined || this.dead) return;
    this.deferred = undefined;
    await this.opts.save({ hardState: hs });
    this.durable = hs;
  }

  private push(item: Item): void {
    if (this.dead) return;
    this.queue.push(item);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    // One microtask first, so the Readies of one burst of input are merged.
    await Promise.resolve();
    try {
      for (let item = this.queue[0]; item !== undefined && !this.dead; item = this.queue[0]) {
        if (item.kind === 'task') {
          this.queue.shift();
          await item.task.run();
          continue;
        }
        const batch = this.takeBatch();
        await this.writeBatch(batch);
        for (const job of batch) await job.after();
      }
    } catch (err) {
      this.dead = true;
      this.queue.length = 0;
      this.opts.onError(err);
    }
  }

  /** The head job and, unless either side is exclusive or a snapshot, the writes queued behind it. */
  private takeBatch(): WriteJob[] {
    const batch: WriteJob[] = [];
    for (let item = this.queue[0]; item?.kind === 'write'; item = this.queue[0]) {
      const alone = item.job.exclusive === true || item.job.snapshot !== undefined;
      if (batch.length > 0 && alone) break;
      this.queue.shift();
      batch.push(item.job);
      if (alone) break;
    }
    return batch;
  }

  private async writeBatch(batch: readonly WriteJob[]): Promise<void> {
    let hardState: HardState | undefined;
    for (const job of batch) if (job.hardState !== undefined) hardState = job.hardState;
    const snapshot = batch[0]?.snapshot;
    if (!batch.some((j) => j.mustWrite)) {
      if (hardState !== undefined) this.deferred = hardState;
      return;
    }
    // With a snapshot the older deferred commit would point below it: only the job's own may go.
    const hs = hardState ?? (snapshot ? undefined : this.deferred);
    const entries = mergeEntries(batch.map((j) => j.entries));
    if (!snapshot && entries.length === 0 && !hs) return;
    const update: StorageUpdate = {
      ...(snapshot && { snapshot }),
      ...(entries.length > 0 && { entries }),
      ...(hs && { hardState: hs }),
    };
    const t0 = this.opts.now();
    await this.opts.save(update);
    this.opts.onSaved?.(this.opts.now() - t0, update);
    if (hs) this.durable = hs;
    this.deferred = undefined;
  }
}
