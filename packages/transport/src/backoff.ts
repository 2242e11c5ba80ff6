/**
 * @module backoff
 * Exponential backoff with jitter for reconnect attempts (the signaling client and the WebRTC
 * transport both use it). The random source is injected so
 * tests (and simulations) are reproducible.
 */

export interface BackoffOptions {
  /** First delay in ms. Default 250. */
  readonly initialMs?: number;
  /** Cap on the delay in ms. Default 30 000. */
  readonly maxMs?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /** Fraction of each delay that is random (0 = none, 1 = "full jitter"). Default 0.5. */
  readonly jitter?: number;
  /** Uniform [0, 1) source. Default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt += 1;
    return base * (1 - this.jitter) + base * this.jitter * this.random();
  }

  /** A connection succeeded: start again from `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
