import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { FrameStats } from './frame-stats.js';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from './envelope.js';

const raftLike = {
  type: 'MsgApp', term: 3, index: 10, logTerm: 2, commit: 9,
  entries: [{ term: 3, index: 11, type: 'normal', data: new Uint8Array([1, 2, 3]) }, { term: 3, index: 12, data: new Uint8Array(0) }],
  snapshot: null,
  context: new Uint8Array([255]),
};

describe('envelope', () => {
  it('round-trips a Raft-like message with Uint8Array fields as plain Uint8Array', () => {
    const bytes = encodeEnvelope({ cluster: 'c1', from: 'a', to: 'b', payload: raftLike });
    expect(bytes.constructor).toBe(Uint8Array);
    const env = decodeEnvelope(bytes, { cluster: 'c1' });
    expect(env).toEqual({ cluster: 'c1', from: 'a', to: 'b', payload: raftLike });
    const p = env.payload as typeof raftLike;
    expect(p.entries[0]!.data.constructor).toBe(Uint8Array);
    expect(p.context.constructor).toBe(Uint8Array);
    expect(p.entries[1]!.data).toBeInstanceOf(Uint8Array);
  });

  it('rejects garbage, foreign clusters, other versions and oversize frames with typed errors', () => {
    const ok = encodeEnvelope({ cluster: 'c1', from: 'a', to: 'b', payload: 1 });
    const packr = new Packr({ useRecords: false });
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([0xc1]), 'MALFORMED_FRAME'], // 0xc1 is "never used" in msgpack
      [new Uint8Array(0), 'MALFORMED_FRAME'],
      [new Uint8Array(packr.pack({ hello: 'world' })), 'MALFORMED_FRAME'],
      [new Uint8Array(packr.pack([ENVELOPE_VERSION, 'c1', 7, 'b', null])), 'MALFORMED_FRAME'],
      [new Uint8Array(packr.pack([99, 'c1', 'a', 'b', null])), 'PROTOCOL_VERSION'],
      [encodeEnvelope({ cluster: 'other', from: 'a', to: 'b', payload: 1 }), 'FOREIGN_CLUSTER'],
      [ok.subarray(0, ok.length - 1), 'MALFORMED_FRAME'],
    ];
    for (const [bytes, code] of cases) {
      expect(() => decodeEnvelope(bytes, { cluster: 'c1' }), code).toThrow(expect.objectContaining({ code }));
    }
    expect(() => decodeEnvelope(ok, { cluster: 'c1', self: 'x' })).toThrow(expect.objectContaining({ code: 'MISADDRESSED_FRAME' }));
    expect(decodeEnvelope(ok, { cluster: 'c1', self: 'b' }).to).toBe('b');
    expect(() => decodeEnvelope(ok, { cluster: 'c1', maxBytes: 4 })).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(() => encodeEnvelope({ cluster: 'c1', from: 'a', to: 'b', payload: new Uint8Array(100) }, { maxBytes: 50 }))
      .toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
  });

  it('FrameStats counts and logs rejections by code instead of throwing', () => {
    const lines: string[] = [];
    const stats = new FrameStats((l) => lines.push(l));
    expect(stats.guard(() => decodeEnvelope(new Uint8Array([0xc1]), { cluster: 'c' }), 'x')).toBeNull();
    const good = encodeEnvelope({ cluster: 'c', from: 'a', to: 'b', payload: 'hi' });
    expect(stats.guard(() => decodeEnvelope(good, { cluster: 'c' }))?.payload).toBe('hi');
    expect(stats.snapshot()).toEqual({ accepted: 1, rejected: 1, byCode: { MALFORMED_FRAME: 1 } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('from x: MALFORMED_FRAME');
  });

  it('never throws anything but typed errors on random bytes (seeded fuzz)', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const good = encodeEnvelope({ cluster: 'c', from: 'a', to: 'b', payload: raftLike });
    for (let i = 0; i < 2000; i++) {
      const bytes = i % 2 ? Uint8Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)) : good.slice();
      if (i % 2 === 0) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      try {
        decodeEnvelope(bytes, { cluster: 'c' });
      } catch (err) {
        expect(err, `seed 42 iteration ${i}`).toHaveProperty('code');
      }
    }
  });
});
