/** A manual clock for the runtime's unit tests: time moves only when the test calls advance(). */
import type { TimerHandle, Timers } from '../timers.js';

interface Timer {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

export class FakeTimers implements Timers {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, ms);
  }

  clearTimeout(h: TimerHandle): void {
    this.timers.delete(h as number);
  }

  clearInterval(h: TimerHandle): void {
    this.timers.delete(h as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Runs every timer due within `ms`, in time order, letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.values()].sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next || next.at > end) break;
      this.t = next.at;
      if (next.every === null) this.timers.delete(next.id);
      else next.at += Math.max(1, next.every);
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), every, fn });
    return id;
  }
}

/** Lets queued promise callbacks run (several rounds: the host loop chains a few awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
