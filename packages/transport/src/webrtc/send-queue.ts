/**
 * @module webrtc/send-queue
 * One peer's bounded queue of outgoing frames, drained into a data channel only while the
 * channel's `bufferedAmount` is under a high-water mark. simple-peer's `send()` writes straight
 * to the channel and ignores its buffer, and a channel whose buffer overflows is closed by the
 * browser, so every write goes through here. A frame's chunks go out back to back (the
 * reassembler relies on it), but a big frame is fed in slices as the buffer drains. Small frames
 * waiting together leave in one BATCH message.
 *
 * Reading `bufferedAmount` is not free: in @roamhq/wrtc (Node) each read is a synchronous call
 * into the WebRTC network thread, and reading it before every write cost a Node peer about as
 * much CPU as the writes themselves (profile in docs/peer.md). The queue keeps an upper bound of
 * the sink's buffer instead (the last value read plus every byte written since: the buffer only
 * grows by our writes) and reads the real value only when that bound reaches the high-water mark.
 */
import { batchedSize, encodeBatch, encodeFrame } from './chunk-codec.js';

/** Where chunks go: a data channel, or anything with its buffer accounting. */
export interface ChunkSink {
  readonly bufferedAmount: number;
  send(chunk: Uint8Array): void;
}

export interface SendQueueOptions {
  /** Bytes of frames this queue may hold before `push` refuses. */
  readonly maxQueuedBytes: number;
  /** Stop writing while the sink buffers this many bytes or more. */
  readonly highWaterMark: number;
  readonly chunkSize: number;
  readonly maxFrameBytes: number;
}

export class SendQueue {
  private readonly frames: Uint8Array[] = [];
  /** The frame being written, as chunks, and how many of them are out. */
  private current: { readonly frame: Uint8Array; readonly chunks: Uint8Array[]; sent: number } | null = null;
  private bytes = 0;
  /**
   * At least the sink's bufferedAmount: what it last reported plus what was written since. The
   * few bytes of control messages sent beside the queue (ping, pong) are not counted; the next
   * real read includes them. A new link (empty buffer) leaves it an upper bound.
   */
  private sinkBound = 0;
  /** How often `bufferedAmount` was read (for tests and profiles). */
  bufferReads = 0;

  constructor(private readonly options: SendQueueOptions) {}

  /** Bytes of frames not yet fully handed to a sink. */
  get queuedBytes(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.current === null && this.frames.length === 0;
  }

  /** Queues a frame; false (and nothing queued) when it would exceed `maxQueuedBytes`. */
  push(frame: Uint8Array): boolean {
    if (this.bytes + frame.byteLength > this.options.maxQueuedBytes) return false;
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    return true;
  }

  /** Writes chunks into `sink` until it is full or the queue is empty. Returns chunks written. */
  pump(sink: ChunkSink): number {
    let written = 0;
    while (this.hasRoom(sink)) {
      if (this.current === null) {
        const frame = this.frames.shift();
        if (frame === undefined) break;
        const batch = this.batchAfter(frame);
        if (batch !== null) {
          const message = encodeBatch(batch);
          sink.send(message);
          this.sinkBound += message.byteLength;
          for (const f of batch) this.bytes -= f.byteLength;
          written += 1;
          continue;
        }
        const chunks = encodeFrame(frame, this.options.chunkSize, this.options.maxFrameBytes);
        this.current = { frame, chunks, sent: 0 };
      }
      const current = this.current;
      const chunk = current.chunks[current.sent];
      if (chunk !== undefined) {
        sink.send(chunk);
        this.sinkBound += chunk.byteLength;
        current.sent += 1;
        written += 1;
      }
      if (current.sent >= current.chunks.length) {
        this.bytes -= current.frame.byteLength;
        this.current = null;
      }
    }
    return written;
  }

  /** Whether the sink's buffer is under the high-water mark; reads it only when the bound says it may not be. */
  private hasRoom(sink: ChunkSink): boolean {
    if (this.sinkBound < this.options.highWaterMark) return true;
    this.bufferReads += 1;
    this.sinkBound = sink.bufferedAmount;
    return this.sinkBound < this.options.highWaterMark;
  }

  /** `frame` plus the frames queued behind it that fit one message with it, or null if none do. */
  private batchAfter(frame: Uint8Array): Uint8Array[] | null {
    const { chunkSize, maxFrameBytes } = this.options;
    let size = 1 + batchedSize(frame);
    if (size > chunkSize || frame.byteLength > maxFrameBytes) return null;
    const batch = [frame];
    for (let next = this.frames[0]; next !== undefined; next = this.frames[0]) {
      const add = batchedSize(next);
      if (size + add > chunkSize || next.byteLength > maxFrameBytes) break;
      size += add;
      batch.push(next);
      this.frames.shift();
    }
    return batch.length > 1 ? batch : null;
  }

  /**
   * Takes every frame not yet fully written, for another path (the relay). A frame cut off
   * half-way is returned whole: the receiver drops the half it got when the channel closes.
   */
  takeAll(): Uint8Array[] {
    const out = this.current === null ? [] : [this.current.frame];
    out.push(...this.frames);
    this.clear();
    return out;
  }

  /** Mid-frame the channel closed: the in-progress frame must restart from its first chunk. */
  rewind(): void {
    if (this.current !== null) this.current.sent = 0;
  }

  clear(): void {
    this.frames.length = 0;
    this.current = null;
    this.bytes = 0;
  }
}
