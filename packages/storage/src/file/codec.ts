/**
 * @module file/codec
 * Binary encoding of what the file backend stores: WAL records (one per save or setMeta) and the
 * checkpoint (snapshot + retained entries + hard state + configuration + meta). Integers are
 * unsigned LEB128 varints (up to 2^53), byte strings and UTF-8 strings are length-prefixed.
 * Layouts are described in docs/storage.md.
 */
import type { ConfState, Entry, EntryType, HardState, Snapshot } from '@meshraft/core';

/** A payload that passed its checksum but does not decode: a format bug or a foreign file. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class Writer {
  private buf = new Uint8Array(256);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(n: number): this {
    this.reserve(1);
    this.buf[this.pos++] = n;
    return this;
  }

  uint(n: number): this {
    this.reserve(8);
    // Division rather than shifts: indexes may exceed 2^32.
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.uint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(utf8Encoder.encode(s));
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  private pos = 0;
  private readonly buf: Uint8Array;

  constructor(buf: Uint8Array) {
    // A plain view, so slices are plain Uint8Arrays even when `buf` is a Node Buffer.
    this.buf = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }

  u8(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw new DecodeError(`unexpected end at ${this.pos}`);
    this.pos++;
    return b;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) throw new DecodeError(`integer too large at ${this.pos}`);
        return n;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`varint too long at ${this.pos}`);
  }

  bytes(): Uint8Array {
    const n = this.uint();
    if (this.pos + n > this.buf.length) throw new DecodeError(`byte string of ${n} overruns the payload at ${this.pos}`);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    try {
      return utf8Decoder.decode(this.bytes());
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError(`invalid UTF-8 before ${this.pos}`);
    }
  }

  end(): void {
    if (!this.done) throw new DecodeError(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function writeIds(w: Writer, ids: readonly string[]): void {
  w.uint(ids.length);
  for (const id of ids) w.string(id);
}

function readIds(r: Reader): string[] {
  const n = r.uint();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(r.string());
  return ids;
}

export function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learnersNext);
  w.u8(cs.autoLeave ? 1 : 0);
}

export function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  const votersOutgoing = readIds(r);
  const learnersNext = readIds(r);
  return { voters, learners, votersOutgoing, learnersNext, autoLeave: readFlag(r) };
}

function readFlag(r: Reader): boolean {
  const b = r.u8();
  if (b > 1) throw new DecodeError(`flag byte ${b}`);
  return b === 1;
}

export function writeHardState(w: Writer, hs: HardState): void {
  w.uint(hs.term).uint(hs.commit);
  if (hs.vote === null) w.u8(0);
  else w.u8(1).string(hs.vote);
}

export function readHardState(r: Reader): HardState {
  const term = r.uint();
  const commit = r.uint();
  const vote = readFlag(r) ? r.string() : null;
  return { term, vote, commit };
}

/** Contiguous entries: count, first index, then term, type and data of each. */
export function writeEntries(w: Writer, entries: readonly Entry[]): void {
  w.uint(entries.length);
  if (entries.length === 0) return;
  w.uint(entries[0]!.index);
  for (const e of entries) w.uint(e.term).u8(e.type).bytes(e.data);
}

export function readEntries(r: Reader): Entry[] {
  const n = r.uint();
  if (n === 0) return [];
  const first = r.uint();
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const term = r.uint();
    const type = r.u8();
    if (type > 1) throw new DecodeError(`entry type ${type}`);
    out.push({ index: first + i, term, type: type as EntryType, data: r.bytes() });
  }
  return out;
}

export function writeSnapshot(w: Writer, s: Snapshot): void {
  w.uint(s.metadata.index).uint(s.metadata.term);
  writeConfState(w, s.metadata.confState);
  w.bytes(s.data);
}

export function readSnapshot(r: Reader): Snapshot {
  const index = r.uint();
  const term = r.uint();
  const confState = readConfState(r);
  return { metadata: { index, term, confState }, data: r.bytes() };
}
