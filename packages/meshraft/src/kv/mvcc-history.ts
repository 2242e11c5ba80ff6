/**
 * @module mvcc-history
 * etcd's MVCC history for the KV store: the changes of every revision since the compaction
 * point, kept in revision order. The key index holds only the newest version of each key; a read
 * at an older revision starts from it and undoes the newer revisions (newest first), which is
 * what lets Range at a past revision, watch replay from `startRevision`, and Compact work the
 * same way on every replica. Memory is bounded: past `limitBytes` the oldest revisions are
 * compacted at apply time, deterministically (the sizes depend only on the applied commands).
 */
import { bytesToBinary } from './bytes.js';
import { KeyIndex, inRange, type BinaryRange } from './key-index.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import type { KeyValue, WatchBatch, WatchEvent } from './kv-types.js';
import type { Change } from './watchers.js';

/** The changes one revision made. */
export interface Revision {
  readonly revision: number;
  readonly changes: readonly Change[];
}

/** Default bound of the history: 64 MiB of keys and values (see docs/kv.md). */
export const DEFAULT_HISTORY_LIMIT_BYTES = 64 * 1024 * 1024;

/** Bookkeeping bytes counted per event on top of its keys and values. */
const EVENT_OVERHEAD = 64;

function kvBytes(kv: KeyValue | undefined): number {
  return kv === undefined ? 0 : kv.key.byteLength + kv.value.byteLength;
}

function revisionBytes(r: Revision): number {
  let n = EVENT_OVERHEAD;
  for (const c of r.changes) n += EVENT_OVERHEAD + kvBytes(c.event.kv) + kvBytes(c.event.prevKv);
  return n;
}

export class MvccHistory {
  /**
   * Recorded revisions, oldest first, from `head` on. Compaction moves `head` and drops the dead
   * prefix only once it is half the array: a full history compacts one revision per write, and
   * copying the whole array each time made every write cost O(history) (FOUND-BUGS 15).
   */
  private revisions: Revision[] = [];
  private head = 0;
  private bytes = 0;
  /** Reads below this revision fail with "compacted"; 1 (nothing compacted) when new. */
  private compactedAt = 1;

  constructor(private readonly limitBytes = DEFAULT_HISTORY_LIMIT_BYTES) {}

  /** etcd's compact revision: the oldest revision that can still be read. */
  get compactRevision(): number {
    return this.compactedAt;
  }

  /** Approximate bytes held (keys, values and a fixed overhead per event). */
  get sizeBytes(): number {
    return this.bytes;
  }

  get length(): number {
    return this.revisions.length - this.head;
  }

  /** Records the changes of `revision` (called once per revision that changed something). */
  record(revision: number, changes: readonly Change[]): void {
    const r = { revision, changes };
    this.revisions.push(r);
    this.bytes += revisionBytes(r);
    // Bound memory: drop the oldest revisions, never the newest one.
    while (this.bytes > this.limitBytes && this.length > 1) {
      this.compact(this.revisions[this.head + 1]!.revision);
    }
  }

  /**
   * Forgets the changes below `revision`: reads at older revisions fail afterwards. etcd keeps
   * the newest version of each key at or below the compaction point, as the undo walk does.
   */
  compact(revision: number): void {
    if (revision <= this.compactedAt) return;
    while (this.head < this.revisions.length && this.revisions[this.head]!.revision < revision) {
      this.bytes -= revisionBytes(this.revisions[this.head]!);
      this.head++;
    }
    if (this.head * 2 >= this.revisions.length) {
      this.revisions = this.revisions.slice(this.head);
      this.head = 0;
    }
    this.compactedAt = revision;
  }

  /** Throws etcd's compacted / future errors for a read at `revision` (0 = current). */
  check(revision: number, current: number): void {
    if (revision > current) {
      throw new KvError(KvErrorCode.FutureRevision, `revision ${revision} is a future revision (current ${current})`);
    }
    if (revision !== 0 && revision < this.compactedAt) {
      throw new KvError(KvErrorCode.Compacted, `revision ${revision} has been compacted (compacted at ${this.compactedAt})`);
    }
  }

  /** The keys of `range` as they were at `revision`, given the current index. */
  indexAt(current: KeyIndex, range: BinaryRange, revision: number): KeyIndex {
    const state = new Map<string, KeyValue>();
    for (const kv of current.range(range)) state.set(bytesToBinary(kv.key), kv);
    for (let i = this.revisions.length - 1; i >= this.head && this.revisions[i]!.revision > revision; i--) {
      const changes = this.revisions[i]!.changes;
      for (let j = changes.length - 1; j >= 0; j--) {
        const c = changes[j]!;
        if (!inRange(c.binaryKey, range)) continue;
        if (c.event.prevKv) state.set(c.binaryKey, c.event.prevKv);
        else state.delete(c.binaryKey);
      }
    }
    const index = new KeyIndex();
    index.load([...state.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, kv]) => kv));
    return index;
  }

  /** The recorded revisions at or after `from`, for watch replay (check `from` first). */
  *since(from: number): Generator<Revision> {
    let lo = this.head;
    let hi = this.revisions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.revisions[mid]!.revision < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.revisions.length; i++) yield this.revisions[i]!;
  }

  /** Everything recorded, oldest first (snapshots). */
  all(): readonly Revision[] {
    return this.head === 0 ? this.revisions : this.revisions.slice(this.head);
  }

  /** Replaces the history (snapshot restore). */
  load(compactRevision: number, revisions: readonly Revision[]): void {
    this.revisions = [...revisions];
    this.head = 0;
    this.compactedAt = compactRevision;
    this.bytes = 0;
    for (const r of this.revisions) this.bytes += revisionBytes(r);
  }
}

/** One replayed revision as a watch batch, events filtered to `range` (prevKv kept if asked). */
export function batchOf(r: Revision, range: BinaryRange, prevKv: boolean): WatchBatch | undefined {
  const events: WatchEvent[] = [];
  for (const c of r.changes) {
    if (!inRange(c.binaryKey, range)) continue;
    events.push(prevKv || c.event.prevKv === undefined ? c.event : { type: c.event.type, kv: c.event.kv });
  }
  return events.length === 0 ? undefined : { revision: r.revision, events };
}
