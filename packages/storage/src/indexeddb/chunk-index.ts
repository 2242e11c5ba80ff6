/**
 * @module indexeddb/chunk-index
 * Where the log's chunks start. Each save stores its entries as one record (a chunk) keyed by
 * its first index: Chromium pays roughly 0.1 ms per record, so 1024 entries as one record commit
 * about 60x faster than 1024 records. Chunks are contiguous and cover firstIndex..lastIndex, so
 * their start indexes alone say which record holds an index; truncation and compaction rewrite
 * the one chunk they cut through.
 */
import { IndexedDbCorruptError } from './errors.js';

export class ChunkIndex {
  /** Ascending start indexes of the stored chunks. */
  private starts: number[];

  constructor(starts: readonly number[]) {
    this.starts = [...starts];
  }

  /** Start of the chunk holding `index` (which must lie in the log). */
  chunkOf(index: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo];
    if (start === undefined || start > index) throw new IndexedDbCorruptError(`no stored chunk holds index ${index}`);
    return start;
  }

  /** Last index of the chunk starting at `start`, given the log's last index. */
  chunkEnd(start: number, lastIndex: number): number {
    const next = this.starts.find((s) => s > start);
    return next === undefined ? lastIndex : next - 1;
  }

  /** After a committed save: a snapshot drops every chunk, a truncation those from `truncateFrom` on. */
  saved(snapshot: boolean, truncateFrom: number | undefined, appendedAt: number | undefined): void {
    if (snapshot) this.starts = [];
    else if (truncateFrom !== undefined) this.starts = this.starts.filter((s) => s < truncateFrom);
    if (appendedAt !== undefined) this.starts.push(appendedAt);
  }

  /** After a committed compaction to `index`; `restart` is where the cut chunk's rest now starts. */
  compacted(index: number, restart: number | undefined): void {
    this.starts = this.starts.filter((s) => s > index);
    if (restart !== undefined) this.starts.unshift(restart);
  }
}
