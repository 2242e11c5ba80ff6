/**
 * @module webrtc/chunk-codec
 * Splits frames into data-channel messages and puts them back together. Data channels are
 * reliable and ordered and one link sends one frame's chunks back to back, so a chunk needs no
 * message id: the header is one byte, plus the frame's total length on the first chunk of a
 * multi-chunk frame. Most Raft frames fit in one chunk and cost a single header byte.
 *
 *   WHOLE  [0x00][frame]
 *   FIRST  [0x01][u32 total length, big-endian][first part]
 *   MORE   [0x02][next part]            (the frame is done when `total` bytes have arrived)
 *   PING   [0x03][u32 nonce]            (round-trip measurement; may fall between chunks)
 *   PONG   [0x04][u32 nonce]
 *   BATCH  [0x05]([varint length][frame])...  (small frames that were queued together)
 *
 * BATCH exists because a data-channel message has a fixed cost (about 70 µs per send() in
 * @roamhq/wrtc) that dwarfs a 100-byte Raft message; frames already waiting in the queue share
 * one message. A lone frame is never held back to wait for company.
 */
import { FrameTooLargeError } from '../errors.js';
import { BadChunkError, BadOptionsError } from './errors.js';

const WHOLE = 0x00;
const FIRST = 0x01;
const MORE = 0x02;
const PING = 0x03;
const PONG = 0x04;
const BATCH = 0x05;
const FIRST_HEADER = 5;
/** The smallest chunk that still carries payload after the largest header. */
export const MIN_CHUNK_SIZE = FIRST_HEADER + 1;

/** Encodes `frame` as one or more data-channel messages of at most `chunkSize` bytes each. */
export function encodeFrame(frame: Uint8Array, chunkSize: number, maxFrameBytes: number): Uint8Array[] {
  if (frame.byteLength > maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, maxFrameBytes);
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE) {
    throw new BadOptionsError(`chunkSize must be an integer >= ${MIN_CHUNK_SIZE}, got ${chunkSize}`);
  }
  if (frame.byteLength + 1 <= chunkSize) {
    const out = new Uint8Array(frame.byteLength + 1);
    out[0] = WHOLE;
    out.set(frame, 1);
    return [out];
  }
  const chunks: Uint8Array[] = [];
  const firstLen = chunkSize - FIRST_HEADER;
  const first = new Uint8Array(chunkSize);
  first[0] = FIRST;
  new DataView(first.buffer).setUint32(1, frame.byteLength);
  first.set(frame.subarray(0, firstLen), FIRST_HEADER);
  chunks.push(first);
  for (let at = firstLen; at < frame.byteLength; at += chunkSize - 1) {
    const part = frame.subarray(at, at + chunkSize - 1);
    const chunk = new Uint8Array(part.byteLength + 1);
    chunk[0] = MORE;
    chunk.set(part, 1);
    chunks.push(chunk);
  }
  return chunks;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

/** Bytes `frame` takes inside a BATCH message. */
export function batchedSize(frame: Uint8Array): number {
  return varintLength(frame.byteLength) + frame.byteLength;
}

/** A BATCH message of `frames` (their batched sizes plus one header byte must fit a chunk). */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + frames.reduce((sum, f) => sum + batchedSize(f), 0));
  out[0] = BATCH;
  let at = 1;
  for (const f of frames) {
    let n = f.byteLength;
    while (n >= 0x80) {
      out[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[at++] = n;
    out.set(f, at);
    at += f.byteLength;
  }
  return out;
}

export function encodePing(nonce: number): Uint8Array {
  return control(PING, nonce);
}

export function encodePong(nonce: number): Uint8Array {
  return control(PONG, nonce);
}

function control(kind: number, nonce: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, nonce >>> 0);
  return out;
}

export type Decoded =
  | { readonly kind: 'frame'; readonly frame: Uint8Array }
  | { readonly kind: 'batch'; readonly frames: readonly Uint8Array[] }
  | { readonly kind: 'ping' | 'pong'; readonly nonce: number }
  | { readonly kind: 'partial' };

/** Reassembles one peer's chunks. A bad chunk throws and resets, so the next frame starts clean. */
export class Reassembler {
  private parts: Uint8Array | null = null;
  private filled = 0;

  constructor(private readonly peer: string, private readonly maxFrameBytes: number) {}

  push(message: Uint8Array): Decoded {
    const kind = message[0];
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    // Pings may come between the chunks of a frame: they are written outside the send queue.
    if (kind === PING || kind === PONG) {
      if (message.byteLength !== 5) throw new BadChunkError(this.peer, 'control message of wrong length');
      return { kind: kind === PING ? 'ping' : 'pong', nonce: view.getUint32(1) };
    }
    if (kind !== MORE && this.parts !== null) {
      this.reset();
      throw new BadChunkError(this.peer, 'a new frame started before the previous one was complete');
    }
    switch (kind) {
      case WHOLE:
        if (message.byteLength - 1 > this.maxFrameBytes) {
          throw new FrameTooLargeError(message.byteLength - 1, this.maxFrameBytes);
        }
        return { kind: 'frame', frame: message.subarray(1) };
      case FIRST: {
        if (message.byteLength < MIN_CHUNK_SIZE) throw new BadChunkError(this.peer, 'short first chunk');
        const total = view.getUint32(1);
        if (total > this.maxFrameBytes) throw new FrameTooLargeError(total, this.maxFrameBytes);
        const part = message.subarray(FIRST_HEADER);
        if (part.byteLength >= total) throw new BadChunkError(this.peer, 'first chunk holds the whole frame');
        this.parts = new Uint8Array(total);
        this.parts.set(part, 0);
        this.filled = part.byteLength;
        return { kind: 'partial' };
      }
      case MORE: {
        const parts = this.parts;
        if (parts === null) throw new BadChunkError(this.peer, 'continuation without a first chunk');
        const part = message.subarray(1);
        if (part.byteLength === 0 || this.filled + part.byteLength > parts.byteLength) {
          this.reset();
          throw new BadChunkError(this.peer, 'continuation overruns the announced frame length');
        }
        parts.set(part, this.filled);
        this.filled += part.byteLength;
        if (this.filled < parts.byteLength) return { kind: 'partial' };
        this.reset();
        return { kind: 'frame', frame: parts };
      }
      case BATCH:
        return { kind: 'batch', frames: this.splitBatch(message) };
      default:
        throw new BadChunkError(this.peer, `unknown chunk kind ${String(kind)}`);
    }
  }

  private splitBatch(message: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 1;
    while (at < message.byteLength) {
      let len = 0;
      let scale = 1;
      for (;;) {
        const b = message[at++];
        if (b === undefined || scale > 2 ** 28) throw new BadChunkError(this.peer, 'truncated length in batch');
        len += (b & 0x7f) * scale;
        scale *= 0x80;
        if (b < 0x80) break;
      }
      if (len > this.maxFrameBytes) throw new FrameTooLargeError(len, this.maxFrameBytes);
      if (at + len > message.byteLength) throw new BadChunkError(this.peer, 'batched frame overruns the message');
      frames.push(message.subarray(at, at + len));
      at += len;
    }
    if (frames.length === 0) throw new BadChunkError(this.peer, 'empty batch');
    return frames;
  }

  /** Drops a half-received frame (the channel closed under it). */
  reset(): void {
    this.parts = null;
    this.filled = 0;
  }
}
