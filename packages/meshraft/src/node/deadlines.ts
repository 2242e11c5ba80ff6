/**
 * @module deadlines
 * The one registry of callers waiting on the cluster: each wait is settled once, by its owner
 * (resolve/reject), by its deadline (the owner's timeout error, usually NoQuorumError) or by
 * stop (rejectAll). Whichever comes first clears the timer and runs the owner's cleanup.
 */
import type { Timers } from './timers.js';

export interface Deadline<T> {
  resolve(value: T | PromiseLike<T>): void;
  reject(err: Error): void;
}

export interface DeadlineSpec {
  readonly timeoutMs: number;
  /** Runs at the deadline (after cleanup); returns the error the caller sees. */
  readonly onTimeout: () => Error;
  /** Runs once, whichever way the wait ends (e.g. forget the waiter's table entry). */
  readonly cleanup?: () => void;
}

export class Deadlines {
  private readonly live = new Set<(err: Error) => void>();

  constructor(private readonly timers: Timers) {}

  /** Starts a wait; `begin` runs synchronously with the handle, after the deadline is armed. */
  wait<T>(spec: DeadlineSpec, begin: (d: Deadline<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.timers.clearTimeout(timer);
        this.live.delete(stop);
        spec.cleanup?.();
        return true;
      };
      const stop = (err: Error): void => {
        if (finish()) reject(err);
      };
      const timer = this.timers.setTimeout(() => {
        if (finish()) reject(spec.onTimeout());
      }, spec.timeoutMs);
      this.live.add(stop);
      begin({
        resolve: (v) => {
          if (finish()) resolve(v);
        },
        reject: stop,
      });
    });
  }

  /** Ends every wait still open (stop), oldest first. */
  rejectAll(err: () => Error): void {
    for (const stop of [...this.live]) stop(err());
  }
}
