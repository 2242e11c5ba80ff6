/**
 * @module msgpack-writer
 * Writes one large msgpack value straight into a buffer of its exact size, without building the
 * nested arrays first. A snapshot of a full history (64 MiB, ~250k revisions) took seconds to
 * encode through msgpackr, because the intermediate arrays cost more than the bytes; a host
 * loop blocked that long loses its leadership (FOUND-BUGS 16). The caller walks its value twice
 * with the same code, once into a `MsgpackSizer` and once into a `MsgpackWriter`. The bytes are
 * those msgpackr writes for the same value with the options in msgpack.ts, so a value encoded
 * either way decodes the same and compares equal byte for byte.
 */

/** What a walk over a value calls, in order. Integers must be safe integers. */
export interface MsgpackOut {
  array(length: number): void;
  int(value: number): void;
  bin(bytes: Uint8Array): void;
  bool(value: boolean): void;
  nil(): void;
  /** A value already encoded as msgpack (for small parts encoded another way). */
  raw(bytes: Uint8Array): void;
}

function intBytes(v: number): number {
  if (v >>> 0 === v) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
  if (v >> 0 === v) return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5;
  return 9; // msgpackr writes integers beyond 32 bits as float64
}

/** Counts the bytes a walk would write. */
export class MsgpackSizer implements MsgpackOut {
  bytes = 0;
  array(length: number): void {
    this.bytes += length < 0x10 ? 1 : length < 0x10000 ? 3 : 5;
  }
  int(value: number): void {
    this.bytes += intBytes(value);
  }
  bin(b: Uint8Array): void {
    const n = b.byteLength;
    this.bytes += (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5) + n;
  }
  bool(): void {
    this.bytes += 1;
  }
  nil(): void {
    this.bytes += 1;
  }
  raw(b: Uint8Array): void {
    this.bytes += b.byteLength;
  }
}

/** Writes a walk into a buffer of the size a `MsgpackSizer` counted for the same walk. */
export class MsgpackWriter implements MsgpackOut {
  readonly buffer: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
    this.view = new DataView(this.buffer.buffer);
  }

  /** The bytes, checked to fill the buffer exactly (a walk that differed between passes throws). */
  finish(): Uint8Array {
    if (this.pos !== this.buffer.byteLength) throw new Error(`msgpack writer: wrote ${this.pos} of ${this.buffer.byteLength} bytes`);
    return this.buffer;
  }

  array(n: number): void {
    if (n < 0x10) this.buffer[this.pos++] = 0x90 | n;
    else this.length(n, 0xdc, 0xdd);
  }

  int(v: number): void {
    const b = this.buffer;
    if (v >>> 0 === v) {
      if (v < 0x80) b[this.pos++] = v;
      else if (v < 0x100) (b[this.pos++] = 0xcc), (b[this.pos++] = v);
      else if (v < 0x10000) (b[this.pos++] = 0xcd), this.view.setUint16(this.pos, v), (this.pos += 2);
      else (b[this.pos++] = 0xce), this.view.setUint32(this.pos, v), (this.pos += 4);
    } else if (v >> 0 === v) {
      if (v >= -0x20) b[this.pos++] = 0x100 + v;
      else if (v >= -0x80) (b[this.pos++] = 0xd0), (b[this.pos++] = v + 0x100);
      else if (v >= -0x8000) (b[this.pos++] = 0xd1), this.view.setInt16(this.pos, v), (this.pos += 2);
      else (b[this.pos++] = 0xd2), this.view.setInt32(this.pos, v), (this.pos += 4);
    } else {
      b[this.pos++] = 0xcb;
      this.view.setFloat64(this.pos, v);
      this.pos += 8;
    }
  }

  bin(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n < 0x100) (this.buffer[this.pos++] = 0xc4), (this.buffer[this.pos++] = n);
    else this.length(n, 0xc5, 0xc6);
    this.buffer.set(bytes, this.pos);
    this.pos += n;
  }

  bool(value: boolean): void {
    this.buffer[this.pos++] = value ? 0xc3 : 0xc2;
  }

  nil(): void {
    this.buffer[this.pos++] = 0xc0;
  }

  raw(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  /** A 16- or 32-bit length after its type byte. */
  private length(n: number, t16: number, t32: number): void {
    if (n < 0x10000) (this.buffer[this.pos++] = t16), this.view.setUint16(this.pos, n), (this.pos += 2);
    else (this.buffer[this.pos++] = t32), this.view.setUint32(this.pos, n), (this.pos += 4);
  }
}

/** Encodes what `walk` writes: two passes over it, one buffer, no intermediate arrays. */
export function writeMsgpack(walk: (out: MsgpackOut) => void): Uint8Array {
  const sizer = new MsgpackSizer();
  walk(sizer);
  const writer = new MsgpackWriter(sizer.bytes);
  walk(writer);
  return writer.finish();
}
