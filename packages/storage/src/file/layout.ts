/**
 * @module file/layout
 * Names of the files in a data directory, and the options every file module shares.
 *
 *   LOCK                        pid of the owning process (dir-lock.ts)
 *   checkpoint                  one frame: snapshot, retained entries, hard state, conf, meta
 *   wal-0000000000000007.log    WAL segments, replayed on top of the checkpoint in order
 */

export const CHECKPOINT_FILE = 'checkpoint';

const SEGMENT = /^wal-(\d{16})\.log$/;

export function segmentName(seq: number): string {
  return `wal-${String(seq).padStart(16, '0')}.log`;
}

/** The sequence number of a segment file name, or undefined for other files. */
export function segmentSeq(name: string): number | undefined {
  const m = SEGMENT.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Where recovery warnings go (a torn tail truncated, an obsolete file left behind). */
export interface StorageLogger {
  warn(message: string, details: Readonly<Record<string, unknown>>): void;
}

export interface FileLayoutOptions {
  readonly dir: string;
  readonly fsync: boolean;
  readonly segmentBytes: number;
  readonly logger: StorageLogger;
}
