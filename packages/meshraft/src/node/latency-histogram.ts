/**
 * @module latency-histogram
 * A cumulative latency histogram with etcd's disk buckets (1 ms doubling to ~8 s), the shape
 * the gateway's /metrics expects.
 */
import type { LatencyHistogram } from './metrics.js';

const BOUNDS = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);

export class LatencyRecorder {
  private readonly counts = new Array<number>(BOUNDS.length).fill(0);
  private count = 0;
  private sum = 0;

  observe(ms: number): void {
    const s = ms / 1000;
    this.count++;
    this.sum += s;
    const i = BOUNDS.findIndex((b) => s <= b);
    if (i >= 0) this.counts[i]!++;
  }

  snapshot(): LatencyHistogram {
    let acc = 0;
    const buckets = BOUNDS.map((le, i) => ({ le, count: (acc += this.counts[i]!) }));
    return { buckets: [...buckets, { le: Infinity, count: this.count }], count: this.count, sumSeconds: this.sum };
  }
}
