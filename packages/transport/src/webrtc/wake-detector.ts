/**
 * @module webrtc/wake-detector
 * Notices that the machine slept (or the tab was frozen): an interval timer that fires much
 * later than scheduled means time passed without us, and every connection is suspect. Also
 * forwards the browser's `online` event. Both are reasons to reconnect at once rather than wait
 * out a long backoff.
 */

export interface WakeDetectorOptions {
  /** How often to check, in ms. Default 2000. */
  readonly intervalMs?: number;
  /** A tick later than `intervalMs + gapMs` counts as a wake. Default 10 000. */
  readonly gapMs?: number;
  /** Wall clock; injected for tests. Default Date.now. */
  readonly now?: () => number;
}

/** Calls `onWake(reason)` after a timer gap or an `online` event. Returns a stop function. */
export function watchWake(onWake: (reason: 'timer-gap' | 'online') => void, options: WakeDetectorOptions = {}): () => void {
  const intervalMs = options.intervalMs ?? 2000;
  const gapMs = options.gapMs ?? 10_000;
  const now = options.now ?? Date.now;
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    if (t - last > intervalMs + gapMs) onWake('timer-gap');
    last = t;
  }, intervalMs);
  // A Node process must be free to exit while only this watcher is left.
  (timer as { unref?: () => void }).unref?.();
  const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void; removeEventListener?: (type: string, fn: () => void) => void };
  const onOnline = (): void => onWake('online');
  target.addEventListener?.('online', onOnline);
  return () => {
    clearInterval(timer);
    target.removeEventListener?.('online', onOnline);
  };
}
