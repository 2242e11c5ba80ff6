/** The one registry of waiting callers: each wait ends exactly once, whichever way comes first. */
import { describe, expect, it } from 'vitest';
import { FakeTimers } from './__tests__/fake-timers.js';
import { Deadlines, type Deadline } from './deadlines.js';
import { NodeStoppedError, NoQuorumError } from './errors.js';

function setup() {
  const timers = new FakeTimers();
  const deadlines = new Deadlines(timers);
  const cleaned: string[] = [];
  const start = (name: string, timeoutMs = 100) => {
    let handle!: Deadline<string>;
    const p = deadlines.wait<string>(
      { timeoutMs, onTimeout: () => new NoQuorumError(timeoutMs), cleanup: () => cleaned.push(name) },
      (d) => (handle = d),
    );
    return { p, handle };
  };
  return { timers, deadlines, cleaned, start };
}

describe('Deadlines', () => {
  it('resolves once; the timer is cleared and a later timeout or reject changes nothing', async () => {
    const { timers, cleaned, start } = setup();
    const { p, handle } = start('a');
    handle.resolve('done');
    handle.reject(new Error('late'));
    expect(timers.pending).toBe(0);
    await timers.advance(500);
    await expect(p).resolves.toBe('done');
    expect(cleaned).toEqual(['a']);
  });

  it('times out with the owner error, after cleanup, and ignores a late resolve', async () => {
    const { timers, cleaned, start } = setup();
    const { p, handle } = start('a', 100);
    const settled = p.catch((e: unknown) => e);
    await timers.advance(99);
    expect(cleaned).toEqual([]);
    await timers.advance(1);
    expect(cleaned).toEqual(['a']);
    handle.resolve('late');
    expect(await settled).toBeInstanceOf(NoQuorumError);
  });

  it('rejectAll ends every open wait, oldest first, and skips finished ones', async () => {
    const { deadlines, timers, cleaned, start } = setup();
    const a = start('a');
    const b = start('b');
    const c = start('c');
    b.handle.resolve('b');
    deadlines.rejectAll(() => new NodeStoppedError());
    expect(cleaned).toEqual(['b', 'a', 'c']);
    expect(timers.pending).toBe(0);
    await expect(a.p).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(b.p).resolves.toBe('b');
    await expect(c.p).rejects.toBeInstanceOf(NodeStoppedError);
  });
});
