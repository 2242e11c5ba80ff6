/**
 * @module network
 * A simulated network between nodes, driven by a seeded PRNG: per-message delay (in ticks),
 * loss, duplication and reordering, and partitions as a set of cut directed links, so
 * asymmetric partitions (a reaches b, b does not reach a) are just one cut link. Links are
 * checked at delivery time, so messages in flight when a partition starts are lost too.
 */
import { BadSimConfigError } from './errors.js';
import type { Xoshiro128 } from './random.js';

export interface NetworkOptions {
  /** Delivery delay bounds in ticks, inclusive (minDelay >= 0). */
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice (the copy gets its own delay). */
  readonly duplicateRate: number;
  /** Probability that a message is held back an extra 1..reorderDelay ticks. */
  readonly reorderRate: number;
  readonly reorderDelay: number;
}

export const RELIABLE_NETWORK: NetworkOptions = Object.freeze({
  minDelay: 1,
  maxDelay: 1,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelay: 0,
});

export interface Envelope<M> {
  readonly from: string;
  readonly to: string;
  readonly message: M;
  readonly deliverAt: number;
  /** Send order; breaks ties so delivery order is a pure function of the seed. */
  readonly seq: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cut: number;
}

function validate(o: NetworkOptions): void {
  const prob = (name: keyof NetworkOptions) => {
    const v = o[name];
    if (!(v >= 0 && v <= 1)) throw new BadSimConfigError(`${name} must be in [0, 1], got ${v}`);
  };
  prob('dropRate');
  prob('duplicateRate');
  prob('reorderRate');
  if (!Number.isInteger(o.minDelay) || o.minDelay < 0 || !Number.isInteger(o.maxDelay) || o.maxDelay < o.minDelay) {
    throw new BadSimConfigError(`delays must be integers with 0 <= minDelay <= maxDelay, got ${o.minDelay}..${o.maxDelay}`);
  }
  if (!Number.isInteger(o.reorderDelay) || o.reorderDelay < 0) {
    throw new BadSimConfigError(`reorderDelay must be a non-negative integer, got ${o.reorderDelay}`);
  }
}

export class Network<M> {
  private queue: Envelope<M>[] = [];
  private readonly cutLinks = new Set<string>();
  private seq = 0;
  private opts: NetworkOptions;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cut: 0 };

  constructor(
    private readonly rng: Xoshiro128,
    options: NetworkOptions = RELIABLE_NETWORK,
  ) {
    validate(options);
    this.opts = options;
  }

  get options(): NetworkOptions {
    return this.opts;
  }

  setOptions(options: NetworkOptions): void {
    validate(options);
    this.opts = options;
  }

  /** Hands a message to the network at tick `now`; loss, copies and delays are decided here. */
  send(from: string, to: string, message: M, now: number): void {
    this.stats.sent++;
    const o = this.opts;
    if (this.rng.chance(o.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.chance(o.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = this.rng.range(o.minDelay, o.maxDelay);
      if (o.reorderDelay > 0 && this.rng.chance(o.reorderRate)) delay += this.rng.range(1, o.reorderDelay);
      this.queue.push({ from, to, message, deliverAt: now + delay, seq: this.seq++ });
    }
  }

  /** Removes and returns the messages due by tick `now`, in delivery order, minus cut links. */
  deliver(now: number): Envelope<M>[] {
    const due: Envelope<M>[] = [];
    const rest: Envelope<M>[] = [];
    for (const e of this.queue) (e.deliverAt <= now ? due : rest).push(e);
    this.queue = rest;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
    const out: Envelope<M>[] = [];
    for (const e of due) {
      if (this.cutLinks.has(linkKey(e.from, e.to))) this.stats.cut++;
      else {
        this.stats.delivered++;
        out.push(e);
      }
    }
    return out;
  }

  /** Drop everything in flight to `node` (e.g. it crashed and lost its sockets). */
  discardTo(node: string): void {
    this.queue = this.queue.filter((e) => e.to !== node);
  }

  /** When the next message in flight is due (undefined: none), for event-driven hosts. */
  nextDeliveryAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.queue) if (next === undefined || e.deliverAt < next) next = e.deliverAt;
    return next;
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /** Cuts the one-way link from -> to. */
  cut(from: string, to: string): void {
    if (from !== to) this.cutLinks.add(linkKey(from, to));
  }

  /** Symmetric partition: cut every link between nodes of different groups. */
  partition(groups: readonly (readonly string[])[]): void {
    for (const [gi, g] of groups.entries()) {
      for (const [hi, h] of groups.entries()) {
        if (gi === hi) continue;
        for (const a of g) for (const b of h) this.cut(a, b);
      }
    }
  }

  /** Cut `node` off from `others` in both directions. */
  isolate(node: string, others: readonly string[]): void {
    this.partition([[node], others.filter((o) => o !== node)]);
  }

  canSend(from: string, to: string): boolean {
    return !this.cutLinks.has(linkKey(from, to));
  }

  get partitioned(): boolean {
    return this.cutLinks.size > 0;
  }

  /** Readable list of cut links, e.g. "n1->n2 n2->n1". */
  describeCuts(): string {
    return [...this.cutLinks].sort().join(' ');
  }

  heal(): void {
    this.cutLinks.clear();
  }
}

function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}
