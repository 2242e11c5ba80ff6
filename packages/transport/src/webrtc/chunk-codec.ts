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
 */
import { FrameTooLargeError } from '../errors.js';
import { BadChunkError, BadOptionsError } from './errors.js';

const WHOLE = 0x00;
const FIRST = 0x01;
const MORE = 0x02;
const PING = 0x03;
const PONG = 0x04;
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
      default:
        throw new BadChunkError(this.peer, `unknown chunk kind ${String(kind)}`);
    }
  }

  /** Drops a half-received frame (the channel closed under it). */
  reset(): void {
    this.parts = null;
    this.filled = 0;
  }
}
