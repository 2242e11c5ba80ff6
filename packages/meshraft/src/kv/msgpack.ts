/**
 * @module msgpack
 * The one msgpackr configuration used for commands and snapshots. Plain maps and arrays only (no
 * records, whose shared structures would make bytes depend on history), and decoded bytes are
 * copies so stored values never alias an entry's buffer.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  copyBuffers: true,
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
