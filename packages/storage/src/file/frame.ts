/**
 * @module file/frame
 * Record framing in WAL segments and the checkpoint file:
 *
 *   offset 0  u32 LE  payload length
 *   offset 4  u32 LE  CRC-32C of the payload
 *   offset 8  u32 LE  CRC-32C of bytes 0..7 (so a damaged length is caught before it is trusted)
 *   offset 12 payload
 *
 * Scanning tells a torn tail (the last write of a crashed process: nothing valid follows it) from
 * corruption before the tail (a valid frame follows the damage), which must not be dropped.
 */
import { crc32c } from '../crc32c.js';
import { InvalidUpdateError } from '../errors.js';
import { CorruptLogError } from './errors.js';

export const FRAME_HEADER_BYTES = 12;

/** Larger payloads do not fit the u32 length field. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  return encodeFrameOf([payload]);
}

/** One frame whose payload is `parts` joined, built in one buffer (a checkpoint can be 50 MB). */
export function encodeFrameOf(parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  // Refuse rather than let the length wrap around and write a record that reads back as garbage.
  if (length > MAX_PAYLOAD_BYTES) throw new InvalidUpdateError(`a record of ${length} bytes exceeds 4 GiB`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + length);
  const view = new DataView(out.buffer);
  let crc = 0;
  let at = FRAME_HEADER_BYTES;
  for (const p of parts) {
    crc = crc32c(p, crc);
    out.set(p, at);
    at += p.length;
  }
  view.setUint32(0, length, true);
  view.setUint32(4, crc, true);
  view.setUint32(8, crc32c(out.subarray(0, 8)), true);
  return out;
}

type FrameAt = { ok: true; payload: Uint8Array; next: number } | { ok: false; reason: string };

function frameAt(buf: Uint8Array, view: DataView, off: number): FrameAt {
  if (buf.length - off < FRAME_HEADER_BYTES) return { ok: false, reason: 'incomplete frame header' };
  if (crc32c(buf.subarray(off, off + 8)) !== view.getUint32(off + 8, true)) {
    return { ok: false, reason: 'frame header checksum mismatch' };
  }
  const length = view.getUint32(off, true);
  const start = off + FRAME_HEADER_BYTES;
  if (start + length > buf.length) return { ok: false, reason: `payload of ${length} bytes runs past the end of the file` };
  const payload = buf.subarray(start, start + length);
  if (crc32c(payload) !== view.getUint32(off + 4, true)) return { ok: false, reason: 'payload checksum mismatch' };
  return { ok: true, payload, next: start + length };
}

export interface Frame {
  readonly offset: number;
  readonly payload: Uint8Array;
}

export interface ScanResult {
  readonly frames: Frame[];
  /** Where the valid frames end; less than the file length when a torn tail was found. */
  readonly validEnd: number;
  /** Why the tail is invalid, when it is. */
  readonly tornReason?: string;
}

function validFrameAfter(buf: Uint8Array, view: DataView, from: number): boolean {
  for (let off = from; off + FRAME_HEADER_BYTES <= buf.length; off++) {
    if (frameAt(buf, view, off).ok) return true;
  }
  return false;
}

/**
 * Reads every frame of `buf`. An invalid frame with nothing valid after it is a torn tail when
 * `tailMayBeTorn` (only the newest segment is ever being written); anything else is corruption.
 */
export function scanFrames(buf: Uint8Array, file: string, tailMayBeTorn: boolean): ScanResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: Frame[] = [];
  let off = 0;
  while (off < buf.length) {
    const at = frameAt(buf, view, off);
    if (at.ok) {
      frames.push({ offset: off, payload: at.payload });
      off = at.next;
      continue;
    }
    if (!tailMayBeTorn) throw new CorruptLogError(file, off, at.reason);
    if (validFrameAfter(buf, view, off + 1)) throw new CorruptLogError(file, off, `${at.reason}, and valid records follow`);
    return { frames, validEnd: off, tornReason: at.reason };
  }
  return { frames, validEnd: off };
}
