import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, MalformedFrameError } from '../errors.js';
import { fragment, Reassembler } from './fragments.js';

const frameOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);

/** Feeds START then CONT pieces; returns what the reassembler emitted. */
function feed(r: Reassembler, from: string, parts: { start: Uint8Array; rest: Uint8Array[] }): Uint8Array[] {
  const out = [r.start(from, parts.start), ...parts.rest.map((p) => r.cont(from, p))];
  return out.filter((f): f is Uint8Array => f !== undefined);
}

describe('relay fragments', () => {
  it('reassembles every cut of a frame, per sender', () => {
    for (const [size, piece] of [[1000, 100], [1000, 104], [5, 100], [0, 10], [1001, 4]] as const) {
      const r = new Reassembler(1 << 20);
      const f = frameOf(size);
      expect(feed(r, 'a', fragment(f, piece))).toEqual([f]);
    }
  });

  it('never emits a frame with a lost piece: the next START drops the partial', () => {
    const r = new Reassembler(1 << 20);
    const first = fragment(frameOf(1000), 100);
    r.start('a', first.start);
    first.rest.slice(0, 3).forEach((p) => expect(r.cont('a', p)).toBeUndefined());
    // pieces 4.. lost; the next frame starts over
    const second = frameOf(250);
    expect(feed(r, 'a', fragment(second, 100))).toEqual([second]);
    // a CONT without a START is ignored
    expect(r.cont('a', new Uint8Array(10))).toBeUndefined();
  });

  it('refuses a frame over the limit, a short header and an overrun with typed errors', () => {
    const r = new Reassembler(500);
    expect(() => r.start('a', fragment(frameOf(501), 100).start)).toThrow(FrameTooLargeError);
    expect(() => r.start('a', new Uint8Array(3))).toThrow(MalformedFrameError);
    const parts = fragment(frameOf(150), 100);
    r.start('a', parts.start);
    expect(() => r.cont('a', new Uint8Array(200))).toThrow(MalformedFrameError);
    // the overrun dropped the partial: the real last piece now is ignored
    expect(r.cont('a', parts.rest[0]!)).toBeUndefined();
  });
});
