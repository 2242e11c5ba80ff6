import { describe, expect, it } from 'vitest';
import { toEtcdId } from './member-id.js';

describe('toEtcdId', () => {
  it('passes decimal uint64 ids through and hashes everything else stably', () => {
    expect(toEtcdId('12585971608760269493')).toBe('12585971608760269493');
    expect(toEtcdId('0042')).toBe('42');
    // 2^64 does not fit, so it is hashed like any other string.
    expect(toEtcdId('18446744073709551616')).not.toBe('18446744073709551616');
    const a = toEtcdId('peer-a');
    expect(a).toMatch(/^[0-9]+$/);
    expect(BigInt(a) < 1n << 64n).toBe(true);
    expect(toEtcdId('peer-a')).toBe(a);
    expect(toEtcdId('peer-b')).not.toBe(a);
    // FNV-1a 64 of the empty string is its offset basis.
    expect(toEtcdId('')).toBe(String(0xcbf29ce484222325n));
  });
});
