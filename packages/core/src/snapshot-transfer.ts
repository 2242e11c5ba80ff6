/**
 * @module snapshot-transfer
 * Chunked snapshot streaming (InstallSnapshot, Raft §7), both ends. The sender keeps a window of
 * chunks in flight and resumes from the receiver's acknowledged offset after losses; the
 * receiver reassembles chunks in order and reports the next byte it wants. Protocol decisions
 * (whether a snapshot is needed, installing it) stay in raft.ts.
 */
import type { NodeId, Snapshot, SnapshotMetadata } from './types.js';

export interface Chunk {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** Leader side: one snapshot being streamed to one follower. */
export class SnapshotSender {
  /** Next byte the follower asked for: everything before it arrived. */
  private acked = 0;
  /** Next byte to send. */
  private sent = 0;
  /** Whether any chunk went out (an empty snapshot is one empty chunk). */
  private started = false;
  /** Offset already rewound to after a gap report, so repeated reports resend only once. */
  private rewoundAt = -1;
  /** Heartbeat round of the last chunk sent. */
  private sentRound: number;

  constructor(
    readonly snapshot: Snapshot,
    private readonly chunkSize: number,
    private readonly chunksInFlight: number,
    round: number,
  ) {
    this.sentRound = round;
  }

  get index(): number {
    return this.snapshot.metadata.index;
  }

  /**
   * The chunks that may go out now: one until the follower confirms it wants this snapshot
   * (it may already hold the entries), then up to `chunksInFlight` unacknowledged.
   */
  take(round: number): Chunk[] {
    const { data } = this.snapshot;
    const window = this.acked === 0 ? this.chunkSize : this.chunkSize * this.chunksInFlight;
    const out: Chunk[] = [];
    while ((this.sent < data.length || !this.started) && this.sent - this.acked < window) {
      const end = Math.min(data.length, this.sent + this.chunkSize);
      out.push({ offset: this.sent, data: data.subarray(this.sent, end), done: end >= data.length });
      this.sent = end;
      this.started = true;
      this.sentRound = round;
    }
    return out;
  }

  /** The follower has every byte before `offset`. Returns false once the transfer is complete. */
  ack(offset: number): boolean {
    if (offset >= this.snapshot.data.length) return false;
    if (offset > this.acked) {
      this.acked = offset;
    } else if (offset < this.acked) {
      // The follower lost what it had (it restarted): start again from where it is.
      this.rewind(offset);
    } else if (offset < this.sent && this.rewoundAt !== offset) {
      // The follower saw a gap (a lost chunk): resend from where it stopped, once per gap.
      this.rewind(offset);
    }
    return true;
  }

  /** After a heartbeat round with no progress, resend from the acknowledged offset. */
  rewindIfSilent(round: number): boolean {
    if (round - this.sentRound < 2) return false;
    this.rewind(this.acked);
    this.rewoundAt = -1;
    return true;
  }

  private rewind(offset: number): void {
    this.acked = offset;
    this.sent = offset;
    this.rewoundAt = offset;
    this.started = offset > 0;
  }
}

/** Follower side: the chunks of one snapshot received so far. */
export class SnapshotReceiver {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes received in order: the next offset wanted. */
  received = 0;

  constructor(
    readonly from: NodeId,
    readonly term: number,
    readonly metadata: SnapshotMetadata,
    readonly totalSize: number,
  ) {}

  /** Whether a chunk belongs to this transfer (same leader, term and snapshot). */
  matches(from: NodeId, term: number, meta: SnapshotMetadata): boolean {
    return this.from === from && this.term === term && this.metadata.index === meta.index && this.metadata.term === meta.term;
  }

  /**
   * Takes the chunk at `offset` if it is the next one. Returns the complete snapshot after the
   * last chunk, else null (read `received` for the offset to ask for next).
   */
  accept(offset: number, data: Uint8Array, done: boolean): Snapshot | null {
    if (offset !== this.received) return null;
    // Copy: the transport may reuse its buffers.
    if (data.length > 0) this.chunks.push(data.slice());
    this.received += data.length;
    if (!done && this.received < this.totalSize) return null;
    const all = new Uint8Array(this.received);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    return { metadata: this.metadata, data: all };
  }
}
