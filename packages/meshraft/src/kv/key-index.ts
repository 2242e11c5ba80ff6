/**
 * @module key-index
 * The ordered key space: a Map for point lookups plus a sorted array of keys for ranges. Keys are
 * held as binary strings (one char per byte), which order like the bytes. Every write can be
 * journaled so a failing txn is rolled back to exactly the state it started from.
 */
import { bytesToBinary, type Bytes } from './bytes.js';
import type { KeyRange, KeyValue } from './kv-types.js';

interface UndoRecord {
  readonly key: string;
  readonly prev: KeyValue | undefined;
}

/** [start, end) over binary keys; `end === null` means unbounded. */
export interface BinaryRange {
  readonly start: string;
  readonly end: string | null;
}

/** etcd's range rules: no end = one key, `\0` end = unbounded, otherwise [key, end). */
export function toBinaryRange(range: KeyRange): BinaryRange {
  const start = bytesToBinary(range.key);
  if (range.rangeEnd === undefined || range.rangeEnd.length === 0) {
    return { start, end: start + '\0' };
  }
  if (range.rangeEnd.length === 1 && range.rangeEnd[0] === 0) return { start, end: null };
  return { start, end: bytesToBinary(range.rangeEnd) };
}

export function inRange(key: string, r: BinaryRange): boolean {
  return key >= r.start && (r.end === null || key < r.end);
}

export class KeyIndex {
  private readonly map = new Map<string, KeyValue>();
  private readonly sorted: string[] = [];
  private journal: UndoRecord[] | null = null;

  get size(): number {
    return this.map.size;
  }

  get(key: Bytes | string): KeyValue | undefined {
    return this.map.get(typeof key === 'string' ? key : bytesToBinary(key));
  }

  /** Keys in [start, end), in byte order. */
  *range(r: BinaryRange): Generator<KeyValue> {
    for (let i = this.lowerBound(r.start); i < this.sorted.length; i++) {
      const k = this.sorted[i]!;
      if (r.end !== null && k >= r.end) return;
      yield this.map.get(k)!;
    }
  }

  countRange(r: BinaryRange): number {
    const lo = this.lowerBound(r.start);
    const hi = r.end === null ? this.sorted.length : this.lowerBound(r.end);
    return Math.max(0, hi - lo);
  }

  *entries(): Generator<[string, KeyValue]> {
    for (const k of this.sorted) yield [k, this.map.get(k)!];
  }

  set(kv: KeyValue): void {
    const k = bytesToBinary(kv.key);
    this.record(k);
    if (!this.map.has(k)) this.sorted.splice(this.lowerBound(k), 0, k);
    this.map.set(k, kv);
  }

  delete(key: string): void {
    if (!this.map.has(key)) return;
    this.record(key);
    this.map.delete(key);
    this.sorted.splice(this.lowerBound(key), 1);
  }

  /** Replace everything with `kvs` (a snapshot), sorting once instead of inserting one by one. */
  load(kvs: Iterable<KeyValue>): void {
    this.clear();
    let ordered = true;
    let last: string | undefined;
    for (const kv of kvs) {
      const k = bytesToBinary(kv.key);
      if (last !== undefined && k <= last) ordered = false;
      last = k;
      this.map.set(k, kv);
    }
    // Snapshots are written in key order, so the sort is normally skipped.
    const keys = ordered ? this.map.keys() : [...this.map.keys()].sort();
    for (const k of keys) this.sorted.push(k);
  }

  clear(): void {
    this.map.clear();
    this.sorted.length = 0;
    this.journal = null;
  }

  /** Start journaling writes so `rollback` can undo them. */
  begin(): void {
    this.journal = [];
  }

  commit(): void {
    this.journal = null;
  }

  rollback(): void {
    const journal = this.journal;
    this.journal = null;
    if (journal === null) return;
    for (let i = journal.length - 1; i >= 0; i--) {
      const { key, prev } = journal[i]!;
      if (prev === undefined) this.delete(key);
      else this.set(prev);
    }
  }

  private record(key: string): void {
    this.journal?.push({ key, prev: this.map.get(key) });
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
