/**
 * @module relay/fragments
 * Frames larger than one relayed WebSocket message (the signaling server's maxFrameBytes, 1 MiB by
 * default) travel as fragments: a START piece with the frame's total length, then CONT pieces.
 * The relay keeps each pair's messages in order, so the receiver appends pieces and emits the
 * frame once exactly `total` bytes have arrived. A lost piece never yields a wrong frame: the
 * bytes stay short of `total` until the next START (or a DATA frame, or the peer leaving) drops them.
 */
import { FrameTooLargeError, MalformedFrameError } from '../errors.js';

/** Header of a START piece: the whole frame's length (u32, big-endian). */
export const START_HEADER_BYTES = 4;

/** Cuts `frame` into bodies of at most `piece` bytes: the first carries the total length. */
export function fragment(frame: Uint8Array, piece: number): { start: Uint8Array; rest: Uint8Array[] } {
  const firstBytes = Math.max(0, piece - START_HEADER_BYTES);
  const start = new Uint8Array(START_HEADER_BYTES + Math.min(firstBytes, frame.length));
  new DataView(start.buffer).setUint32(0, frame.length);
  start.set(frame.subarray(0, firstBytes), START_HEADER_BYTES);
  const rest: Uint8Array[] = [];
  for (let off = firstBytes; off < frame.length; off += piece) rest.push(frame.subarray(off, off + piece));
  return { start, rest };
}

interface Partial {
  readonly total: number;
  readonly buf: Uint8Array;
  got: number;
}

/** One reassembly per sending peer, bounded by `maxFrameBytes`. */
export class Reassembler {
  readonly #partial = new Map<string, Partial>();

  constructor(private readonly maxFrameBytes: number) {}

  /** A START piece; returns the frame if it was complete in one piece. Throws for a bad header or a frame over the limit. */
  start(from: string, body: Uint8Array): Uint8Array | undefined {
    this.#partial.delete(from);
    if (body.length < START_HEADER_BYTES) throw new MalformedFrameError(`a relay fragment start of ${body.length} bytes from "${from}"`);
    const total = new DataView(body.buffer, body.byteOffset, START_HEADER_BYTES).getUint32(0);
    if (total > this.maxFrameBytes) throw new FrameTooLargeError(total, this.maxFrameBytes);
    const first = body.subarray(START_HEADER_BYTES);
    if (first.length > total) throw new MalformedFrameError(`a relay fragment longer than its frame from "${from}"`);
    const p: Partial = { total, buf: new Uint8Array(total), got: 0 };
    this.#partial.set(from, p);
    return this.cont(from, first);
  }

  /** A CONT piece; returns the frame once complete. A piece with no START before it is dropped. */
  cont(from: string, body: Uint8Array): Uint8Array | undefined {
    const p = this.#partial.get(from);
    if (!p) return undefined;
    if (p.got + body.length > p.total) {
      this.#partial.delete(from);
      throw new MalformedFrameError(`relay fragments from "${from}" overran their frame`);
    }
    p.buf.set(body, p.got);
    p.got += body.length;
    if (p.got < p.total) return undefined;
    this.#partial.delete(from);
    return p.buf;
  }

  /** Forgets a peer's partial frame (it left, or sent a whole frame in between). */
  drop(from: string): void {
    this.#partial.delete(from);
  }

  clear(): void {
    this.#partial.clear();
  }
}
