/**
 * @module timers
 * The runtime's only source of time: the transport's Scheduler (one clock interface for the
 * whole codebase) plus intervals. Injected so tests and the simulator drive a fake clock; the
 * default uses the platform's timers, which exist in browsers, workers, Node and Deno alike.
 */
import type { Scheduler, TimerHandle } from '@meshraft/transport';

export type { TimerHandle };

export interface Timers extends Scheduler {
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  // Monotonic (a wall-clock step must not stretch a lease) yet near epoch milliseconds.
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof globalThis.setInterval>),
};
