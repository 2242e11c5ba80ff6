/**
 * @module disk-write
 * What one simulated disk write holds, and how a pipelined host merges the writes of
 * consecutive Readies into one atomic write (group commit): entries with truncate-and-append
 * semantics, the latest hard state, and a snapshot only when the write holds that one Ready.
 */
import { isEmptySnapshot, type Entry, type HardState, type Ready, type Snapshot } from '@meshraft/core';

export interface DiskWrite {
  readonly snapshot?: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState | undefined;
}

/** Whether a Ready asks for any disk write at all. */
export function needsWrite(rd: Ready): boolean {
  return rd.entries.length > 0 || rd.hardState !== undefined || (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot));
}

/**
 * Entries of consecutive Readies as one append: a later list replaces every earlier entry at or
 * above its first index (the core hands out such a suffix only after a conflict).
 */
export function mergeEntries(lists: readonly (readonly Entry[])[]): { entries: Entry[]; truncated: boolean } {
  let out: Entry[] = [];
  let truncated = false;
  for (const list of lists) {
    const first = list[0];
    if (first === undefined) continue;
    const head = out[0];
    const keep = head === undefined ? 0 : Math.max(0, first.index - head.index);
    if (keep < out.length) truncated = true;
    out = out.slice(0, keep).concat(list);
  }
  return { entries: out, truncated };
}

/**
 * One write for consecutive Readies (oldest first). A Ready with a snapshot is always written
 * alone (the pipelined host drains before it and takes no Ready after it until it is done).
 */
export function mergeReadies(readies: readonly Ready[]): DiskWrite & { truncated: boolean } {
  let hardState: HardState | undefined;
  let snapshot: Snapshot | undefined;
  for (const rd of readies) {
    if (rd.hardState !== undefined) hardState = rd.hardState;
    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      if (readies.length !== 1) throw new Error('unreachable: a snapshot Ready is written alone');
      snapshot = rd.snapshot;
    }
  }
  const { entries, truncated } = mergeEntries(readies.map((rd) => rd.entries));
  return { entries, truncated, ...(hardState !== undefined && { hardState }), ...(snapshot !== undefined && { snapshot }) };
}
