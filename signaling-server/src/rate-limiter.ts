/**
 * @module rate-limiter
 * Token bucket per connection: `ratePerSecond` tokens refill continuously, burst = one second.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(private readonly ratePerSecond: number, private readonly now: () => number = Date.now) {
    this.#tokens = ratePerSecond;
    this.#last = now();
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.ratePerSecond, this.#tokens + ((t - this.#last) / 1000) * this.ratePerSecond);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
