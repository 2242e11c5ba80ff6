/**
 * @module runtime/virtual-clock
 * Virtual time for the runtime simulator: one queue of timed callbacks, ordered by (time, order
 * of scheduling), so a seed replays exactly. Each node incarnation gets its own `Timers` view
 * (the runtime's injected clock; it also satisfies the transport's `Scheduler`), tagged with an
 * owner so a crash drops every timer of the dead incarnation at once.
 */
import type { Timers, TimerHandle } from 'meshraft';

/** What the runtime holds for a timer; an interval keeps one handle across its re-armings. */
interface Handle {
  cancelled: boolean;
}

interface TimedEvent {
  readonly at: number;
  readonly seq: number;
  readonly owner: string;
  readonly fn: () => void;
  /** For intervals: the period, re-armed after each run. */
  readonly every: number | undefined;
  readonly handle: Handle;
}

export class VirtualClock {
  private queue: TimedEvent[] = [];
  private seq = 0;
  private time = 0;
  private readonly dead = new Set<string>();

  get now(): number {
    return this.time;
  }

  /** Runs `fn` at virtual time `at` (not before now); returns its handle. */
  at(at: number, owner: string, fn: () => void, every?: number, handle: Handle = { cancelled: false }): Handle {
    const ev: TimedEvent = { at: Math.max(at, this.time), seq: this.seq++, owner, fn, every, handle };
    // Binary insertion keeps the queue sorted by (at, seq).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid]!;
      if (m.at < ev.at || (m.at === ev.at && m.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
    return handle;
  }

  private live(ev: TimedEvent): boolean {
    return !ev.handle.cancelled && !this.dead.has(ev.owner);
  }

  /** Time of the earliest live event, if any. */
  nextAt(): number | undefined {
    while (this.queue.length > 0 && !this.live(this.queue[0]!)) this.queue.shift();
    return this.queue[0]?.at;
  }

  /** Moves time forward to `t` (never back). */
  advanceTo(t: number): void {
    if (t > this.time) this.time = t;
  }

  /** Removes and returns the earliest live event due by now, re-arming intervals. */
  takeDue(): (() => void) | undefined {
    const at = this.nextAt();
    if (at === undefined || at > this.time) return undefined;
    const ev = this.queue.shift()!;
    if (ev.every !== undefined) this.at(ev.at + ev.every, ev.owner, ev.fn, ev.every, ev.handle);
    return ev.fn;
  }

  /** Drops every pending event of `owner` (a crashed incarnation) and refuses to run new ones. */
  kill(owner: string): void {
    this.dead.add(owner);
  }

  /** The runtime's Timers for one incarnation. */
  timersFor(owner: string): Timers {
    const cancel = (h: TimerHandle): void => {
      if (h !== null && typeof h === 'object' && 'cancelled' in h) (h as Handle).cancelled = true;
    };
    return {
      now: () => this.time,
      setTimeout: (fn, ms) => this.at(this.time + Math.max(0, ms), owner, fn),
      clearTimeout: cancel,
      setInterval: (fn, ms) => this.at(this.time + Math.max(1, ms), owner, fn, Math.max(1, ms)),
      clearInterval: cancel,
    };
  }
}
