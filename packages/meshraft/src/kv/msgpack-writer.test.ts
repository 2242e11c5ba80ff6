/** The one-pass msgpack writer writes msgpackr's bytes, and KV snapshots keep their old bytes. */
import { describe, expect, it } from 'vitest';
import { deleteRange, put, txn } from './kv-commands.js';
import { createKvStateMachine } from './kv-state-machine.js';
import { pack, unpack } from './msgpack.js';
import { writeMsgpack, type MsgpackOut } from './msgpack-writer.js';

type Value = number | boolean | null | Uint8Array | Value[];

function walk(out: MsgpackOut, v: Value): void {
  if (v === null) out.nil();
  else if (typeof v === 'boolean') out.bool(v);
  else if (typeof v === 'number') out.int(v);
  else if (v instanceof Uint8Array) out.bin(v);
  else {
    out.array(v.length);
    for (const x of v) walk(out, x);
  }
}

/** A seeded generator, so a failure names a value that can be rebuilt. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const EDGES = [0, 1, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, 2 ** 53 - 1, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53 - 1)];

function randomValue(r: () => number, depth: number): Value {
  const k = Math.floor(r() * (depth > 3 ? 4 : 5));
  if (k === 0) return r() < 0.5 ? EDGES[Math.floor(r() * EDGES.length)]! : Math.floor(r() * 2 ** (r() * 53)) * (r() < 0.2 ? -1 : 1);
  if (k === 1) return r() < 0.5;
  if (k === 2) return null;
  if (k === 3) return new Uint8Array([0, 1, 0xff, 0x100, 0xffff, 0x10000][Math.floor(r() * 6)]!).fill(Math.floor(r() * 256));
  const n = [0, 1, 15, 16, 40, 0xffff, 0x10000][Math.floor(r() * (depth > 1 ? 5 : 7))]!;
  return Array.from({ length: n }, () => randomValue(r, depth + 1));
}

describe('msgpack writer', () => {
  it('writes the bytes msgpackr writes, at every length and integer boundary', () => {
    for (const edge of EDGES) expect(writeMsgpack((o) => o.int(edge))).toEqual(pack(edge));
    for (let seed = 1; seed <= 60; seed++) {
      const v = randomValue(lcg(seed), 0);
      const bytes = writeMsgpack((o) => walk(o, v));
      expect(Buffer.from(bytes).equals(Buffer.from(pack(v))), `seed ${seed}`).toBe(true);
      expect(unpack(bytes)).toEqual(unpack(pack(v)));
    }
  });

  it('throws when the two passes of a walk differ, instead of returning a torn buffer', () => {
    let pass = 0;
    expect(() => writeMsgpack((o) => o.int(pass++ === 0 ? 1 : 1000))).toThrow();
    pass = 0;
    expect(() => writeMsgpack((o) => o.int(pass++ === 0 ? 1000 : 1))).toThrow(/wrote 1 of 3 bytes/);
  });
});

describe('KV snapshot bytes', () => {
  it('are what msgpackr wrote for the same state, with history, deletes, leases and auth', () => {
    const sm = createKvStateMachine();
    const ctx = (i: number) => ({ index: i, term: 1 });
    let i = 1;
    sm.apply({ type: 'leaseGrant', id: 2 ** 40 + 7, ttl: 60 }, ctx(i++));
    for (let n = 0; n < 300; n++) sm.apply(put(`k/${n % 37}`, 'v'.repeat(n % 300), n % 5 === 0 ? { lease: 2 ** 40 + 7 } : {}), ctx(i++));
    sm.apply(deleteRange('k/1'), ctx(i++));
    sm.apply(txn([], [put('t/a', 'x'), deleteRange('k/2')]), ctx(i++));
    sm.apply({ type: 'auth', op: 'roleAdd', name: 'reader' }, ctx(i++));
    const bytes = sm.snapshot();
    const decoded = unpack(bytes) as unknown[];
    expect(decoded.length).toBe(7);
    const kvs = (decoded[3] as unknown[]).length / 6;
    expect(kvs).toBeGreaterThan(30);
    expect(Buffer.from(bytes).equals(Buffer.from(pack(decoded)))).toBe(true);
    // Re-encoding the decoded value with msgpackr gives the same bytes; so does a restored replica.
    const copy = createKvStateMachine();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    // dbSize is counted without encoding, and is the encoded length exactly.
    expect(sm.snapshotSize()).toBe(bytes.byteLength);
    expect(createKvStateMachine().snapshotSize()).toBe(createKvStateMachine().snapshot().byteLength);
  });
});
