/**
 * @module runtime/sim-storage
 * A simulated DurableStorage on the shipped `ViewStorage` base: the same in-memory view, update
 * plan and compaction logic as the file and IndexedDB backends, so the simulator runs shipped
 * storage semantics. Writes go to a simulated disk in order, each after a seeded latency; the
 * disk is itself a ViewStorage that applies each record when it lands (what a WAL replay does).
 *
 * A crash loses every write still in flight. The write in progress is either torn (its record
 * fails its checksum on recovery and is dropped with everything after it, so it is lost too) or,
 * by a seeded coin, landed but never acknowledged. A restart rebuilds the storage from the disk.
 */
import type { Snapshot } from '@meshraft/core';
import { ViewStorage, type StorageUpdate, type ViewState } from '@meshraft/storage';
import type { Xoshiro128 } from '@meshraft/sim';
import type { VirtualClock } from './virtual-clock.js';

export type WriteKind = 'save-entries' | 'save-hard-state' | 'save-snapshot' | 'meta' | 'compact';

type DiskRecord =
  | { readonly kind: 'save'; readonly update: StorageUpdate }
  | { readonly kind: 'compact'; readonly snapshot: Snapshot }
  | { readonly kind: 'meta'; readonly key: string; readonly value: string };

/** One write on its way to the disk; the fault injector may mark it to crash the node as it lands. */
export interface InFlightWrite {
  readonly kind: WriteKind;
  readonly issuedAt: number;
  readonly doneAt: number;
  /** Crash the node right after this write is durable, before the host hears of it. */
  crashOnLanding: boolean;
}

interface Pending extends InFlightWrite {
  readonly record: DiskRecord;
  readonly resolve: () => void;
}

export interface DiskStats {
  writes: number;
  lost: number;
  torn: number;
  landedUnacked: number;
}

/** The durable image: applies records exactly as a backend replays its log. */
class DiskImage extends ViewStorage {
  constructor(state?: ViewState) {
    super(state);
  }

  apply(r: DiskRecord): void {
    if (r.kind === 'save') this.applyUpdate(r.update);
    else if (r.kind === 'compact') this.applyCompact(r.snapshot);
    else this.applyMeta(r.key, r.value);
  }

  state(): ViewState {
    const s = this.viewState();
    return { ...s, meta: new Map(s.meta) };
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

export interface SimDiskHooks {
  /** A write was issued (the fault injector may set crashOnLanding or schedule a crash). */
  onIssue(w: InFlightWrite): void;
  /** A write marked crashOnLanding just became durable: crash the node now. */
  onCrashPoint(w: InFlightWrite): void;
}

/** One node's disk: survives crashes; each incarnation's storage writes through it. */
export class SimDisk {
  private image = new DiskImage();
  private pending: Pending[] = [];
  private lastDoneAt = 0;
  private owner = '';
  readonly stats: DiskStats = { writes: 0, lost: 0, torn: 0, landedUnacked: 0 };

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Xoshiro128,
    private readonly maxLatencyMs: number,
    private readonly hooks: SimDiskHooks,
  ) {}

  /** A fresh storage handle over what is durable, for the incarnation `owner`. */
  open(owner: string): SimStorage {
    this.owner = owner;
    this.pending = [];
    return new SimStorage(this.image.state(), this, owner);
  }

  get inFlight(): readonly InFlightWrite[] {
    return this.pending;
  }

  write(owner: string, kind: WriteKind, record: DiskRecord): Promise<void> {
    // A dropped incarnation's handle never reaches the disk again (its process is gone).
    if (owner !== this.owner) return new Promise<void>(() => {});
    this.stats.writes++;
    const now = this.clock.now;
    const doneAt = Math.max(now, this.lastDoneAt) + this.rng.range(0, this.maxLatencyMs);
    this.lastDoneAt = doneAt;
    return new Promise<void>((resolve) => {
      const w: Pending = { kind, record, issuedAt: now, doneAt, crashOnLanding: false, resolve };
      this.pending.push(w);
      this.hooks.onIssue(w);
      this.clock.at(doneAt, this.owner, () => this.land(w));
    });
  }

  private land(w: Pending): void {
    if (this.pending[0] !== w) return; // lost in a crash
    this.pending.shift();
    this.image.apply(w.record);
    if (w.crashOnLanding) this.hooks.onCrashPoint(w);
    else w.resolve();
  }

  /** The node crashed: the write in progress lands or tears (seeded); the rest are lost. */
  crash(): void {
    const [first, ...rest] = this.pending;
    if (first !== undefined && first.issuedAt < this.clock.now) {
      if (this.rng.chance(0.5)) {
        this.image.apply(first.record);
        this.stats.landedUnacked++;
      } else this.stats.torn++;
    } else if (first !== undefined) this.stats.lost++;
    this.stats.lost += rest.length;
    this.pending = [];
    this.lastDoneAt = this.clock.now;
  }

  /** The durable image (read-only use: checks and traces). */
  get durable(): ViewStorage {
    return this.image;
  }
}

function kindOf(u: StorageUpdate): WriteKind {
  if (u.snapshot !== undefined) return 'save-snapshot';
  return u.entries !== undefined && u.entries.length > 0 ? 'save-entries' : 'save-hard-state';
}

/** The storage a node incarnation sees: the shipped view, writes through the simulated disk. */
export class SimStorage extends ViewStorage {
  constructor(
    state: ViewState,
    private readonly disk: SimDisk,
    private readonly owner: string,
  ) {
    super(state);
  }

  save(update: StorageUpdate): Promise<void> {
    try {
      const applied = this.applyUpdate(update);
      return this.disk.write(this.owner, kindOf(update), { kind: 'save', update: applied });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  compact(snapshot: Snapshot): Promise<void> {
    try {
      const made = this.applyCompact(snapshot);
      return this.disk.write(this.owner, 'compact', { kind: 'compact', snapshot: made });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  setMeta(key: string, value: string): Promise<void> {
    try {
      this.applyMeta(key, value);
      return this.disk.write(this.owner, 'meta', { kind: 'meta', key, value });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    this.markClosed();
  }
}
