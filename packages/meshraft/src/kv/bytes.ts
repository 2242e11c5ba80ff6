/**
 * @module bytes
 * Byte helpers for the KV store. Keys and values are bytes, as in etcd; strings are accepted at
 * the edges and encoded as UTF-8.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Bytes = Uint8Array;
/** A key or value given by a caller: bytes, or a string taken as UTF-8. */
export type BytesLike = Uint8Array | string;

export const EMPTY_BYTES: Bytes = new Uint8Array(0);

export function toBytes(input: BytesLike): Bytes {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

export function bytesToString(bytes: Bytes): string {
  return decoder.decode(bytes);
}

/**
 * A string with one UTF-16 unit per byte. Such strings order exactly like the bytes do, so they
 * serve as Map keys and sort keys without a custom comparator.
 */
export function bytesToBinary(bytes: Bytes): string {
  if (bytes.length <= 64) {
    // Short keys are the common case; a plain loop beats building an argument list.
    let out = '';
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function bytesEqual(a: Bytes, b: Bytes): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * The range end that selects every key starting with `prefix` (etcd's `GetPrefixRangeEnd`):
 * the prefix with its last non-0xff byte incremented. An all-0xff prefix has no upper bound, which
 * etcd spells as the single byte `\0`.
 */
export function prefixRangeEnd(prefix: BytesLike): Bytes {
  const p = toBytes(prefix);
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i]! < 0xff) {
      const end = p.slice(0, i + 1);
      end[i]! += 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}
