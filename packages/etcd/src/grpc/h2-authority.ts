/**
 * @module grpc/h2-authority
 * Rewrites the `:authority` of the HTTP/2 requests a client sends, before Node's HTTP/2 (nghttp2)
 * sees them. etcdctl 3.4 dials `passthrough:///http://HOST:PORT` and sends all of that as the
 * authority; nghttp2 rejects a `/` there and resets the stream, and neither Node nor grpc-js has
 * an option to relax the check. Header blocks are HPACK-compressed with a dynamic table shared
 * by the whole connection, so every client header block is decoded (hpack.js) and re-encoded
 * with our own table, which nghttp2's decoder then mirrors. Every other frame, DATA above all,
 * is forwarded as the same bytes after reading its 9-byte header.
 */
/// <reference path="./hpack-js.d.ts" />
import hpack, { type Compressor, type Decompressor } from 'hpack.js';

/** HTTP/2 connection error codes (RFC 9113 §7) this layer answers malformed input with. */
export const H2_ERROR_CODES = { PROTOCOL_ERROR: 0x1, FRAME_SIZE_ERROR: 0x6, COMPRESSION_ERROR: 0x9 } as const;
export type H2ErrorCode = keyof typeof H2_ERROR_CODES;

/** Malformed client frames: the connection is closed with a GOAWAY carrying `code`. */
export class Http2FrameError extends Error {
  override readonly name = 'Http2FrameError';
  constructor(
    readonly code: H2ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const PREFACE_BYTES = 24;
const HEADER_BYTES = 9;
/** SETTINGS_MAX_FRAME_SIZE as Node's server advertises it (the protocol default). */
const MAX_FRAME = 16_384;
/** SETTINGS_HEADER_TABLE_SIZE, likewise the default on both sides. */
const TABLE_SIZE = 4096;
/** A header block (HEADERS plus CONTINUATIONs) larger than this is refused. */
export const MAX_HEADER_BLOCK = 256 * 1024;

const TYPE_HEADERS = 0x1;
const TYPE_CONTINUATION = 0x9;
const TYPE_GOAWAY = 0x7;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

/** `passthrough:///http://h:p` (or `http://h:p/x`) → `h:p`; anything without a `/` is kept. */
export function cleanAuthority(value: string): string {
  if (!value.includes('/')) return value;
  const bare = value.replace(/^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/\/?)+/, '');
  return bare.split('/')[0] ?? '';
}

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return h;
}

/** A GOAWAY frame for a connection error, naming the last stream the client opened. */
export function goawayFrame(lastStream: number, code: H2ErrorCode): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStream & 0x7fffffff, 0);
  payload.writeUInt32BE(H2_ERROR_CODES[code], 4);
  return Buffer.concat([frameHeader(8, TYPE_GOAWAY, 0, 0), payload]);
}

interface PendingBlock {
  readonly stream: number;
  /** HEADERS flags kept for the re-encoded frame (END_STREAM, PRIORITY). */
  readonly flags: number;
  readonly priority: Buffer;
  readonly fragments: Buffer[];
  size: number;
}

/**
 * Client → server bytes in, the same bytes out except for re-encoded header blocks. `push`
 * returns the chunks to forward (DATA payloads as subarrays of the input, not copies) or throws
 * Http2FrameError; after a throw the connection must be closed.
 */
export class AuthorityRewriter {
  private readonly decoder: Decompressor = hpack.decompressor.create({ table: { maxSize: TABLE_SIZE } });
  private readonly encoder: Compressor = hpack.compressor.create({ table: { maxSize: TABLE_SIZE } });
  private decodeError: Error | undefined;
  private prefaceLeft = PREFACE_BYTES;
  private head: Buffer = Buffer.alloc(0);
  /** Bytes of the current frame's payload still to come. */
  private payloadLeft = 0;
  /** The current frame is forwarded as is (true) or buffered as part of a header block. */
  private passing = true;
  private frame = { type: 0, flags: 0, stream: 0, length: 0 };
  private payload: Buffer[] = [];
  private block: PendingBlock | undefined;
  /** Highest stream id the client opened, for a GOAWAY. */
  lastStream = 0;
  /** The `:authority` of the connection's first header block as sent ('' without one), once decoded. */
  firstAuthority: string | undefined;

  constructor() {
    this.decoder.on('error', (e) => (this.decodeError = e));
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, chunk.length);
      out.push(chunk.subarray(0, n));
      this.prefaceLeft -= n;
      at = n;
    }
    while (at < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - at);
        const part = chunk.subarray(at, at + n);
        if (this.passing) out.push(part);
        else this.payload.push(part);
        this.payloadLeft -= n;
        at += n;
        if (this.payloadLeft === 0 && !this.passing) this.headerFrameDone(out);
        continue;
      }
      const need = HEADER_BYTES - this.head.length;
      const take = chunk.subarray(at, at + need);
      at += take.length;
      this.head = this.head.length === 0 && take.length === HEADER_BYTES ? take : Buffer.concat([this.head, take]);
      if (this.head.length < HEADER_BYTES) break;
      this.startFrame(this.head, out);
      this.head = Buffer.alloc(0);
    }
    return out;
  }

  private startFrame(h: Buffer, out: Buffer[]): void {
    const length = h.readUIntBE(0, 3);
    const type = h[3]!;
    const flags = h[4]!;
    const stream = h.readUInt32BE(5) & 0x7fffffff;
    const isHeaderBlock = type === TYPE_HEADERS || type === TYPE_CONTINUATION;
    if (this.block && (type !== TYPE_CONTINUATION || stream !== this.block.stream)) {
      throw new Http2FrameError('PROTOCOL_ERROR', `a header block on stream ${this.block.stream} was interrupted by a frame of type ${type}`);
    }
    if (type === TYPE_CONTINUATION && !this.block) throw new Http2FrameError('PROTOCOL_ERROR', 'CONTINUATION without a HEADERS frame before it');
    if (isHeaderBlock && stream === 0) throw new Http2FrameError('PROTOCOL_ERROR', 'a header block on stream 0');
    if (isHeaderBlock && length > MAX_FRAME) throw new Http2FrameError('FRAME_SIZE_ERROR', `a ${length}-byte header frame (max ${MAX_FRAME})`);
    this.frame = { type, flags, stream, length };
    this.passing = !isHeaderBlock;
    this.payloadLeft = length;
    this.payload = [];
    if (this.passing) out.push(h);
    else if (length === 0) this.headerFrameDone(out);
  }

  private headerFrameDone(out: Buffer[]): void {
    const { type, flags, stream, length } = this.frame;
    let body = this.payload.length === 1 ? this.payload[0]! : Buffer.concat(this.payload, length);
    this.payload = [];
    if (type === TYPE_HEADERS) {
      let start = 0;
      let pad = 0;
      if (flags & FLAG_PADDED) {
        if (body.length < 1) throw new Http2FrameError('PROTOCOL_ERROR', 'a padded HEADERS frame without its pad length');
        pad = body[0]!;
        start = 1;
      }
      const prioLen = flags & FLAG_PRIORITY ? 5 : 0;
      if (start + prioLen + pad > body.length) throw new Http2FrameError('PROTOCOL_ERROR', 'HEADERS padding or priority longer than the frame');
      const priority = Buffer.from(body.subarray(start, start + prioLen));
      body = body.subarray(start + prioLen, body.length - pad);
      if (stream > this.lastStream) this.lastStream = stream;
      this.block = { stream, flags: flags & (FLAG_END_STREAM | FLAG_PRIORITY), priority, fragments: [], size: 0 };
    }
    const block = this.block!;
    block.size += body.length;
    if (block.size > MAX_HEADER_BLOCK) throw new Http2FrameError('PROTOCOL_ERROR', `a header block over ${MAX_HEADER_BLOCK} bytes`);
    block.fragments.push(Buffer.from(body));
    if (flags & FLAG_END_HEADERS) {
      this.block = undefined;
      this.emitBlock(block, out);
    }
  }

  private emitBlock(block: PendingBlock, out: Buffer[]): void {
    this.decoder.write(Buffer.concat(block.fragments, block.size));
    this.decoder.execute();
    const headers: { name: string; value: string; neverIndex: boolean }[] = [];
    let authority = '';
    for (let h = this.decoder.read(); h; h = this.decoder.read()) {
      if (h.name === ':authority') authority = h.value;
      headers.push(h.name === ':authority' ? { ...h, value: cleanAuthority(h.value) } : { ...h });
    }
    this.firstAuthority ??= authority;
    if (this.decodeError) {
      throw new Http2FrameError('COMPRESSION_ERROR', `an undecodable header block on stream ${block.stream}`, { cause: this.decodeError });
    }
    this.encoder.write(headers);
    const chunks: Buffer[] = [];
    for (let c = this.encoder.read(); c; c = this.encoder.read()) chunks.push(c);
    const encoded = Buffer.concat([block.priority, ...chunks]);
    // One HEADERS frame, then CONTINUATIONs, each within the server's frame size.
    for (let off = 0, first = true; first || off < encoded.length; first = false) {
      const part = encoded.subarray(off, off + MAX_FRAME);
      off += part.length;
      const last = off >= encoded.length;
      const type = first ? TYPE_HEADERS : TYPE_CONTINUATION;
      const flags = (first ? block.flags : 0) | (last ? FLAG_END_HEADERS : 0);
      out.push(frameHeader(part.length, type, flags, block.stream), part);
    }
  }
}

/**
 * Server → client bytes: counts frame boundaries only, so a GOAWAY of ours never lands inside
 * a frame that nghttp2 is writing.
 */
export class FrameBoundary {
  private head = 0;
  private headBytes = Buffer.alloc(3);
  private left = 0;

  /** True when every frame written so far is complete. */
  get atBoundary(): boolean {
    return this.head === 0 && this.left === 0;
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - at);
        this.left -= n;
        at += n;
        continue;
      }
      if (this.head < 3) this.headBytes[this.head] = chunk[at]!;
      this.head++;
      at++;
      if (this.head === HEADER_BYTES) {
        this.head = 0;
        this.left = this.headBytes.readUIntBE(0, 3);
      }
    }
  }
}
