import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeFrame, encodePing, encodePong, MIN_CHUNK_SIZE, Reassembler } from './chunk-codec.js';
import { FrameTooLargeError } from '../errors.js';
import { BadChunkError, BadOptionsError } from './errors.js';

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function roundTrip(frame: Uint8Array, chunkSize: number): { chunks: Uint8Array[]; out: Uint8Array[] } {
  const chunks = encodeFrame(frame, chunkSize, 1 << 24);
  const r = new Reassembler('p', 1 << 24);
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    const d = r.push(c);
    if (d.kind === 'frame') out.push(d.frame);
  }
  return { chunks, out };
}

describe('chunk codec', () => {
  it('sends a small frame as one chunk with a one-byte header', () => {
    const { chunks, out } = roundTrip(bytes(100), 16 * 1024);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.byteLength).toBe(101);
    expect(out).toEqual([bytes(100)]);
  });

  it('round-trips the empty frame', () => {
    expect(roundTrip(new Uint8Array(0), 64).out).toEqual([new Uint8Array(0)]);
  });

  it.each([
    [63, 64],
    [64, 64],
    [65, 64],
    [1000, 64],
    [16 * 1024, 16 * 1024],
    [100_000, 16 * 1024],
    [50, MIN_CHUNK_SIZE],
  ])('splits and reassembles a %i-byte frame in %i-byte chunks', (size, chunkSize) => {
    const frame = bytes(size, size);
    const { chunks, out } = roundTrip(frame, chunkSize);
    for (const c of chunks) expect(c.byteLength).toBeLessThanOrEqual(chunkSize);
    expect(out).toEqual([frame]);
    // Header overhead: one byte a chunk plus four for the length.
    const total = chunks.reduce((s, c) => s + c.byteLength, 0);
    expect(total - size).toBe(chunks.length === 1 ? 1 : chunks.length + 4);
  });

  it('reassembles consecutive frames on one stream', () => {
    const r = new Reassembler('p', 1 << 20);
    const frames = [bytes(10, 1), bytes(300, 2), bytes(0), bytes(129, 3)];
    const out: Uint8Array[] = [];
    for (const f of frames) {
      for (const c of encodeFrame(f, 64, 1 << 20)) {
        const d = r.push(c);
        if (d.kind === 'frame') out.push(d.frame);
      }
    }
    expect(out).toEqual(frames);
  });

  it('refuses an oversize frame with a typed error', () => {
    expect(() => encodeFrame(bytes(1001), 64, 1000)).toThrow(FrameTooLargeError);
    try {
      encodeFrame(bytes(1001), 64, 1000);
    } catch (err) {
      expect((err as FrameTooLargeError).code).toBe('FRAME_TOO_LARGE');
      expect((err as FrameTooLargeError).bytes).toBe(1001);
    }
  });

  it('refuses a peer announcing a frame over the maximum before buffering it', () => {
    const chunks = encodeFrame(bytes(5000), 1024, 1 << 20);
    const r = new Reassembler('p', 4096);
    expect(() => r.push(chunks[0]!)).toThrow(FrameTooLargeError);
  });

  it('rejects a chunk size too small to carry data', () => {
    expect(() => encodeFrame(bytes(10), MIN_CHUNK_SIZE - 1, 100)).toThrow(BadOptionsError);
  });

  it('reports malformed chunks as BAD_CHUNK and recovers for the next frame', () => {
    const r = new Reassembler('p', 1 << 20);
    expect(() => r.push(new Uint8Array([0x02, 1, 2]))).toThrow(BadChunkError);
    expect(() => r.push(new Uint8Array([0x09]))).toThrow(/unknown chunk kind/);
    expect(() => r.push(new Uint8Array(0))).toThrow(BadChunkError);
    expect(() => r.push(new Uint8Array([0x01, 0, 0]))).toThrow(/short first chunk/);
    const [first] = encodeFrame(bytes(200), 64, 1 << 20);
    r.push(first!);
    // A new frame before the old one finished: the stream is corrupt; drop and start over.
    expect(() => r.push(new Uint8Array([0x00, 7]))).toThrow(/before the previous one/);
    const d = r.push(new Uint8Array([0x00, 7]));
    expect(d).toEqual({ kind: 'frame', frame: new Uint8Array([7]) });
    // Overrun of the announced length.
    const small = encodeFrame(bytes(70), 64, 1 << 20);
    r.push(small[0]!);
    expect(() => r.push(new Uint8Array(100).fill(2, 0, 1))).toThrow(/overruns/);
  });

  it('carries ping and pong nonces', () => {
    const r = new Reassembler('p', 10);
    expect(r.push(encodePing(0xdeadbeef))).toEqual({ kind: 'ping', nonce: 0xdeadbeef });
    expect(r.push(encodePong(7))).toEqual({ kind: 'pong', nonce: 7 });
    expect(() => r.push(new Uint8Array([0x03, 1]))).toThrow(BadChunkError);
    // A ping between two chunks of a frame does not disturb the frame.
    const big = new Uint8Array(100).fill(9);
    const chunks = encodeFrame(big, 64, 1000);
    const r2 = new Reassembler('p', 1000);
    expect(r2.push(chunks[0]!).kind).toBe('partial');
    expect(r2.push(encodePing(1)).kind).toBe('ping');
    expect(r2.push(chunks[1]!)).toEqual({ kind: 'frame', frame: big });
  });

  it('round-trips a batch, including empty frames and lengths needing two varint bytes', () => {
    const frames = [bytes(3, 1), new Uint8Array(0), bytes(127, 2), bytes(128, 3), bytes(300, 4)];
    const msg = encodeBatch(frames);
    expect(msg.byteLength).toBe(1 + (1 + 3) + 1 + (1 + 127) + (2 + 128) + (2 + 300));
    expect(new Reassembler('p', 1000).push(msg)).toEqual({ kind: 'batch', frames });
  });

  it('rejects malformed batches', () => {
    const r = new Reassembler('p', 100);
    expect(() => r.push(new Uint8Array([0x05]))).toThrow(/empty batch/);
    expect(() => r.push(new Uint8Array([0x05, 3, 1, 2]))).toThrow(/overruns/);
    expect(() => r.push(new Uint8Array([0x05, 0x80]))).toThrow(/truncated/);
    expect(() => r.push(encodeBatch([bytes(101, 1)]))).toThrow(FrameTooLargeError);
  });
});
