/**
 * The `:authority` rewrite on its own: client frames built with an HPACK encoder (dynamic table,
 * Huffman), padded and prioritised HEADERS, CONTINUATION, fed in every chunking; the output is
 * decoded as nghttp2 would decode it. Malformed frames raise Http2FrameError with the code of the
 * connection error. The same frames against a live server are in h2-authority-server.test.ts.
 */
import hpack from 'hpack.js';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { AuthorityRewriter, cleanAuthority, Http2FrameError, MAX_HEADER_BLOCK } from './h2-authority.js';
import { clientEncoder, h2frame, PREFACE, type Header } from './__tests__/h2-frames.js';

/** Splits frames into HEADERS/CONTINUATION blocks and decodes them with one table, as nghttp2 does. */
function serverView(bytes: Buffer): { headers: Header[][]; data: Buffer[] } {
  const dec = hpack.decompressor.create({ table: { maxSize: 4096 } });
  const headers: Header[][] = [];
  const data: Buffer[] = [];
  let block: Buffer[] = [];
  for (let at = PREFACE.length; at < bytes.length; ) {
    const len = bytes.readUIntBE(at, 3);
    const [type, flags] = [bytes[at + 3]!, bytes[at + 4]!];
    const payload = bytes.subarray(at + 9, at + 9 + len);
    at += 9 + len;
    if (type === 0) data.push(payload);
    if (type === 1 || type === 9) {
      expect(type === 1 ? flags & 0x8 : 0).toBe(0); // padding is dropped
      block.push(type === 1 && flags & 0x20 ? payload.subarray(5) : payload);
      if (flags & 0x4) {
        dec.write(Buffer.concat(block));
        dec.execute();
        const list: Header[] = [];
        for (let h = dec.read(); h; h = dec.read()) list.push({ name: h.name, value: h.value });
        headers.push(list);
        block = [];
      }
    }
  }
  return { headers, data };
}

function request(authority: string, path: string): Header[] {
  return [
    { name: ':method', value: 'POST' },
    { name: ':scheme', value: 'http' },
    { name: ':path', value: path },
    { name: ':authority', value: authority },
    { name: 'content-type', value: 'application/grpc' },
    { name: 'grpc-trace-bin', value: '\u0000\u00ff\u0080binary' },
  ];
}

/** One connection's worth of client frames: two requests (the second reuses the dynamic table), DATA between. */
function clientBytes(): Buffer {
  const enc = clientEncoder();
  const first = enc(request('passthrough:///http://127.0.0.1:2379', '/etcdserverpb.Maintenance/Status'));
  const second = enc(request('passthrough:///http://127.0.0.1:2379', '/etcdserverpb.KV/Put'));
  // HEADERS padded and prioritised, cut into HEADERS + two CONTINUATIONs.
  const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 15]), first.subarray(0, 4), Buffer.alloc(3)]);
  return Buffer.concat([
    PREFACE,
    h2frame(0x4, 0, 0, Buffer.alloc(0)), // SETTINGS
    h2frame(0x1, 0x8 | 0x20, 1, padded),
    h2frame(0x9, 0, 1, first.subarray(4, 9)),
    h2frame(0x9, 0x4, 1, first.subarray(9)),
    h2frame(0x0, 0x1, 1, Buffer.from('status body')),
    h2frame(0x1, 0x4, 3, second),
    h2frame(0x0, 0x8 | 0x1, 3, Buffer.from([2, 0x61, 0x62, 0, 0])), // padded DATA passes untouched
  ]);
}

function run(bytes: Buffer, cut: (i: number) => boolean): Buffer {
  const r = new AuthorityRewriter();
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 1; i <= bytes.length; i++) {
    if (i === bytes.length || cut(i)) {
      out.push(...r.push(bytes.subarray(start, i)));
      start = i;
    }
  }
  return Buffer.concat(out);
}

describe('AuthorityRewriter', () => {
  it('cleans etcdctl 3.4 authorities and leaves good ones', () => {
    expect(cleanAuthority('passthrough:///http://127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(cleanAuthority('https://[::1]:2379/')).toBe('[::1]:2379');
    expect(cleanAuthority('127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(cleanAuthority('a.b:1')).toBe('a.b:1');
  });

  it('rewrites :authority in every header block, keeps the other headers, DATA byte for byte, under any chunking', () => {
    const bytes = clientBytes();
    const random = seededRandom(14);
    const cuts: Array<[string, (i: number) => boolean]> = [
      ['one chunk', () => false],
      ['byte by byte', () => true],
      ['random', () => random() < 0.1],
    ];
    for (const [name, cut] of cuts) {
      const view = serverView(run(bytes, cut));
      expect([name, view.headers]).toEqual([name, [request('127.0.0.1:2379', '/etcdserverpb.Maintenance/Status'), request('127.0.0.1:2379', '/etcdserverpb.KV/Put')]]);
      expect(view.data).toEqual([Buffer.from('status body'), Buffer.from([2, 0x61, 0x62, 0, 0])]);
    }
  });

  it('forwards DATA payloads as views of the input, not copies', () => {
    const r = new AuthorityRewriter();
    r.push(PREFACE);
    const payload = Buffer.alloc(16_000, 7);
    const chunk = h2frame(0x0, 0, 1, payload);
    const out = r.push(chunk);
    expect(out.map((b) => b.buffer === chunk.buffer)).toEqual([true, true]);
  });

  it('splits a re-encoded block larger than a frame into HEADERS + CONTINUATION', () => {
    const enc = clientEncoder();
    const big = enc([...request('passthrough:///http://h:1', '/p'), { name: 'x-big', value: 'v'.repeat(40_000) }]);
    const frames: Buffer[] = [PREFACE];
    for (let off = 0; off < big.length; off += 16_384) {
      frames.push(h2frame(off === 0 ? 0x1 : 0x9, off + 16_384 >= big.length ? 0x4 : 0, 1, big.subarray(off, off + 16_384)));
    }
    const out = run(Buffer.concat(frames), () => false);
    const view = serverView(out);
    expect(view.headers[0]!.find((h) => h.name === ':authority')!.value).toBe('h:1');
    expect(view.headers[0]!.find((h) => h.name === 'x-big')!.value).toHaveLength(40_000);
    for (let at = PREFACE.length; at < out.length; at += 9 + out.readUIntBE(at, 3)) expect(out.readUIntBE(at, 3)).toBeLessThanOrEqual(16_384);
  });

  const enc = () => clientEncoder()(request('h:1', '/p'));
  const malformed: Array<[string, Buffer, string]> = [
    ['CONTINUATION first', h2frame(0x9, 0x4, 1, enc()), 'PROTOCOL_ERROR'],
    ['a block interrupted by DATA', Buffer.concat([h2frame(0x1, 0, 1, enc()), h2frame(0x0, 0, 1, Buffer.alloc(1))]), 'PROTOCOL_ERROR'],
    ['a block continued on another stream', Buffer.concat([h2frame(0x1, 0, 1, enc()), h2frame(0x9, 0x4, 3, Buffer.alloc(0))]), 'PROTOCOL_ERROR'],
    ['HEADERS on stream 0', h2frame(0x1, 0x4, 0, enc()), 'PROTOCOL_ERROR'],
    ['padding longer than the frame', h2frame(0x1, 0x4 | 0x8, 1, Buffer.from([200, 1, 2])), 'PROTOCOL_ERROR'],
    ['padded with no pad length', h2frame(0x1, 0x4 | 0x8, 1, Buffer.alloc(0)), 'PROTOCOL_ERROR'],
    ['priority without its 5 bytes', h2frame(0x1, 0x4 | 0x20, 1, Buffer.from([0, 0])), 'PROTOCOL_ERROR'],
    ['a header frame over 16 KiB', h2frame(0x1, 0x4, 1, Buffer.alloc(16_385)), 'FRAME_SIZE_ERROR'],
    ['an index past the table', h2frame(0x1, 0x4, 1, Buffer.from([0xff, 0x7f])), 'COMPRESSION_ERROR'],
    ['a table size over the limit', h2frame(0x1, 0x4, 1, Buffer.from([0x3f, 0xe1, 0xff, 0x03])), 'COMPRESSION_ERROR'],
    ['a truncated string', h2frame(0x1, 0x4, 1, Buffer.from([0x40, 0x0a, 0x61])), 'COMPRESSION_ERROR'],
  ];
  for (const [name, bytes, code] of malformed) {
    it(`refuses ${name} with ${code}`, () => {
      const r = new AuthorityRewriter();
      r.push(PREFACE);
      let thrown: unknown;
      try {
        r.push(bytes);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Http2FrameError);
      expect((thrown as Http2FrameError).code).toBe(code);
    });
  }

  it('refuses a header block past its size limit across CONTINUATIONs', () => {
    const r = new AuthorityRewriter();
    r.push(Buffer.concat([PREFACE, h2frame(0x1, 0, 1, Buffer.alloc(16_000))]));
    expect(() => {
      for (let i = 0; i * 16_000 <= MAX_HEADER_BLOCK; i++) r.push(h2frame(0x9, 0, 1, Buffer.alloc(16_000)));
    }).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
  });
});
