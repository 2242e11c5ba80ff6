import { describe, expect, it } from 'vitest';
import { ChunkIndex } from './chunk-index.js';
import { IndexedDbCorruptError } from './errors.js';

describe('ChunkIndex', () => {
  it('finds the chunk holding an index and where it ends', () => {
    const chunks = new ChunkIndex([3, 4, 10, 11, 50]);
    expect([3, 4, 9, 10, 11, 49, 50, 80].map((i) => chunks.chunkOf(i))).toEqual([3, 4, 4, 10, 11, 11, 50, 50]);
    expect([3, 4, 11, 50].map((s) => chunks.chunkEnd(s, 60))).toEqual([3, 9, 49, 60]);
    expect(() => chunks.chunkOf(2)).toThrow(IndexedDbCorruptError);
    expect(() => new ChunkIndex([]).chunkOf(1)).toThrow(IndexedDbCorruptError);
  });

  it('follows saves and compactions', () => {
    const chunks = new ChunkIndex([1, 6, 10]);
    chunks.saved(false, 8, 8); // cut inside [6..9]
    expect(chunks.chunkOf(7)).toBe(6);
    expect(chunks.chunkOf(8)).toBe(8);
    chunks.compacted(6, 7);
    expect(chunks.chunkOf(7)).toBe(7);
    expect(() => chunks.chunkOf(6)).toThrow(IndexedDbCorruptError);
    chunks.saved(true, undefined, 20);
    expect(() => chunks.chunkOf(19)).toThrow(IndexedDbCorruptError);
    expect(chunks.chunkOf(25)).toBe(20);
  });
});
