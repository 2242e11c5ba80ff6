/**
 * @module scheduler
 * Time as an injected dependency: the signaling client and relay transport take a Scheduler so
 * tests can drive reconnects, backoff and liveness deterministically.
 */

export type TimerHandle = unknown;

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Milliseconds, monotonic where the platform allows. */
  now(): number;
}

export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending reconnect or ping must not keep a Node process alive on its own.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** Run `fn` every `ms` until the returned function is called. */
export function every(scheduler: Scheduler, ms: number, fn: () => void): () => void {
  let handle: TimerHandle;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    handle = scheduler.setTimeout(tick, ms);
    fn();
  };
  handle = scheduler.setTimeout(tick, ms);
  return () => {
    stopped = true;
    scheduler.clearTimeout(handle);
  };
}
