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
  /** Owners paused (SIGSTOP): nothing of theirs runs before the time given. */
  private readonly paused = new Map<string, number>();
  /** Owners whose intervals run late (a background tab), with the slowdown and until when. */
  private readonly throttled = new Map<string, { factor: number; until: number }>();

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
    const resume = this.paused.get(ev.owner);
    if (resume !== undefined && resume > ev.at) {
      // Runs when the process resumes, in the order it was due.
      this.at(resume, ev.owner, ev.fn, ev.every, ev.handle);
      return () => {};
    }
    if (ev.every !== undefined) {
      const t = this.throttled.get(ev.owner);
      const period = t !== undefined && t.until > this.time ? ev.every * t.factor : ev.every;
      this.at(ev.at + period, ev.owner, ev.fn, ev.every, ev.handle);
    }
    return ev.fn;
  }

  /** Drops every pending event of `owner` (a crashed incarnation) and refuses to run new ones. */
  kill(owner: string): void {
    this.dead.add(owner);
  }

  /** `owner`'s intervals fire `factor` times less often until `until` (its clock stays right). */
  throttle(owner: string, factor: number, until: number): void {
    this.throttled.set(owner, { factor, until });
  }

  /** Pauses `owner` until `until`: its due timers wait and run then (like SIGSTOP/SIGCONT). */
  pause(owner: string, until: number): void {
    this.paused.set(owner, until);
  }

  pausedUntil(owner: string): number | undefined {
    const t = this.paused.get(owner);
    return t !== undefined && t > this.time ? t : undefined;
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
