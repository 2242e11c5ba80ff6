import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window.js';

describe('replay window', () => {
  it('accepts each sequence number once, out of order within the window, and nothing older', () => {
    const w = new ReplayWindow({ size: 64 });
    expect(w.accept('a', 1, 0)).toBe('fresh');
    expect(w.accept('a', 1, 0)).toBe('replay');
    expect(w.accept('a', 1, 5)).toBe('fresh');
    expect(w.accept('a', 1, 3)).toBe('fresh'); // late but new
    expect(w.accept('a', 1, 3)).toBe('replay');
    expect(w.accept('a', 1, 5)).toBe('replay');
    expect(w.accept('b', 1, 5)).toBe('fresh'); // per sender
    expect(w.accept('a', 1, 200)).toBe('fresh');
    expect(w.accept('a', 1, 136)).toBe('replay'); // 64 behind the newest: outside the window
    expect(w.accept('a', 1, 137)).toBe('fresh');
    expect(w.accept('a', 1, 137)).toBe('replay');
    // Slots reused after the window slid are free again for their new numbers.
    for (let s = 201; s < 400; s++) expect(w.accept('a', 1, s)).toBe('fresh');
    for (let s = 340; s < 400; s++) expect(w.accept('a', 1, s)).toBe('replay');
  });

  it('starts over for a newer epoch and rejects an older one', () => {
    const w = new ReplayWindow();
    expect(w.accept('a', 10, 7)).toBe('fresh');
    expect(w.accept('a', 11, 0)).toBe('fresh'); // the sender restarted
    expect(w.accept('a', 11, 0)).toBe('replay');
    expect(w.accept('a', 10, 8)).toBe('replay'); // a message of the previous run
  });

  it('forgets the least recently heard sender beyond maxSenders', () => {
    const w = new ReplayWindow({ maxSenders: 2 });
    w.accept('a', 1, 0);
    w.accept('b', 1, 0);
    w.accept('a', 1, 1); // a heard again: b is now the oldest
    w.accept('c', 1, 0);
    expect(w.accept('a', 1, 1)).toBe('replay');
    expect(w.accept('b', 1, 0)).toBe('fresh'); // forgotten, so not recognised
  });
});
