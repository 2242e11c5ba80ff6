/**
 * @module unstable
 * Entries (and possibly a snapshot) the node has accepted but the host has not yet persisted
 * (etcd's log_unstable). `offsetInProgress` marks what was already handed out in a Ready, so the
 * same entries are not handed out twice before advance().
 */
import type { Entry, Snapshot } from './types.js';

export class Unstable {
  snapshot: Snapshot | null = null;
  snapshotInProgress = false;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;
  /** Entries with index < offsetInProgress were handed to the host in a Ready. */
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** First index if a snapshot is pending, else -1. */
  maybeFirstIndex(): number {
    return this.snapshot === null ? -1 : this.snapshot.metadata.index + 1;
  }

  /** Last index held here (entries, else the snapshot), else -1. */
  maybeLastIndex(): number {
    const n = this.entries.length;
    if (n > 0) return this.offset + n - 1;
    return this.snapshot === null ? -1 : this.snapshot.metadata.index;
  }

  /** Term of `i` if known here, else -1. */
  maybeTerm(i: number): number {
    if (i < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return -1;
    }
    const e = this.entries[i - this.offset];
    return e === undefined ? -1 : e.term;
  }

  /** Entries not yet handed out in a Ready. */
  nextEntries(): Entry[] {
    const start = this.offsetInProgress - this.offset;
    if (start >= this.entries.length) return [];
    return start <= 0 ? this.entries.slice() : this.entries.slice(start);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): Snapshot | null {
    return this.snapshot === null || this.snapshotInProgress ? null : this.snapshot;
  }

  /** Marks everything currently held as handed out. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== null) this.snapshotInProgress = true;
  }

  /** Entries up to (i, t) are durable: drop them. Ignored if the log changed meanwhile. */
  stableTo(i: number, t: number): void {
    if (i < this.offset) return;
    const gt = this.maybeTerm(i);
    if (gt !== t) return; // overwritten by a newer leader since the Ready: keep them
    const num = i + 1 - this.offset;
    this.entries = num >= this.entries.length ? [] : this.entries.slice(num);
    this.offset = i + 1;
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === i) {
      this.snapshot = null;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /** Appends `ents` (contiguous), truncating any held suffix they conflict with. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    const end = this.offset + this.entries.length;
    if (from === end) {
      for (let i = 0; i < ents.length; i++) this.entries.push(ents[i]!);
    } else if (from <= this.offset) {
      // Replaces everything held (and possibly part of what is already in storage).
      this.offset = from;
      this.entries = ents.slice();
    } else {
      const kept = this.entries.slice(0, from - this.offset);
      for (let i = 0; i < ents.length; i++) kept.push(ents[i]!);
      this.entries = kept;
    }
    if (this.offsetInProgress > from) this.offsetInProgress = from;
  }

  /** Appends one entry that directly follows the last one held. */
  appendOne(e: Entry): void {
    if (e.index !== this.offset + this.entries.length) {
      this.truncateAndAppend([e]);
      return;
    }
    this.entries.push(e);
  }

  /** Entries in [lo, hi), which must lie within what is held. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
