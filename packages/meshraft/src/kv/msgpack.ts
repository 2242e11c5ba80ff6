/**
 * @module msgpack
 * The one msgpackr configuration used for commands and snapshots. Plain maps and arrays only (no
 * records, whose shared structures would make bytes depend on history). Decoded byte fields are
 * views into the input (copying each one costs more than the rest of decoding): callers copy what
 * they keep, or hand in a private copy of the whole input.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
});

export function pack(value: unknown): Uint8Array {
  const buf = packr.pack(value);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Throws on bytes that are not one complete msgpack value. */
export function unpack(data: Uint8Array): unknown {
  return packr.unpack(data);
}
