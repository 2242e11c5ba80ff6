import { describe, expect, it } from 'vitest';
import { CompactedError, EMPTY_SNAPSHOT, isEmptySnapshot, MeshraftError } from '@meshraft/core';

describe('shared types', () => {
  it('treats index 0 as the empty snapshot', () => {
    expect(isEmptySnapshot(EMPTY_SNAPSHOT)).toBe(true);
  });
  it('errors carry a code and their class name', () => {
    const e = new CompactedError(3, 10);
    expect(e).toBeInstanceOf(MeshraftError);
    expect(e.code).toBe('COMPACTED');
    expect(e.name).toBe('CompactedError');
  });
});
