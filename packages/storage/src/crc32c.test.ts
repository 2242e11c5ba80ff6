import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

// RFC 3720 appendix B.4 "CRC Examples" (the 32-byte vectors), plus the usual "123456789" check value.
const rfc3720: Array<[string, Uint8Array, number]> = [
  ['32 bytes of zeros', new Uint8Array(32), 0x8a9136aa],
  ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  [
    'an iSCSI SCSI Read (10) command PDU',
    Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]),
    0xd9963a56,
  ],
];

describe('crc32c', () => {
  for (const [name, input, expected] of rfc3720) {
    it(`matches RFC 3720 for ${name}`, () => {
      expect(crc32c(input)).toBe(expected);
    });
  }
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
  it('is the same computed in pieces', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
    expect(crc32c(data.subarray(40), crc32c(data.subarray(0, 40)))).toBe(crc32c(data));
  });
  it('agrees with the bytewise definition at every length and offset around the 8-byte steps', () => {
    const table = Array.from({ length: 256 }, (_, n) => {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      return c >>> 0;
    });
    const bytewise = (b: Uint8Array) => {
      let c = ~0;
      for (const x of b) c = table[(c ^ x) & 0xff]! ^ (c >>> 8);
      return ~c >>> 0;
    };
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let len = 0; start + len <= data.length; len += 1 + (len >> 3)) {
        expect(crc32c(data.subarray(start, start + len))).toBe(bytewise(data.subarray(start, start + len)));
      }
    }
  });
  it('is 0 for no bytes', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
