/**
 * @module runtime/runtime-clients
 * KV clients of the runtime simulator: each runs one operation at a time through the public API
 * of a random live node: put and compare-and-set through node.propose, get through node.read at
 * linearizable or lease consistency. A proposal that times out with a NoQuorumError is retried
 * (same request, so at most once) through a different member, or abandoned as indeterminate.
 * Every value written is unique, so the state machine can tell executions of one operation
 * apart (exactly-once). The history uses the kv-model shapes of the project's checker.
 */
import { NoQuorumError, type SessionKey } from 'meshraft';
import { cas, put, range } from 'meshraft/kv';
import type { KvInput, KvOperation, KvOutput, WorkloadOptions, Xoshiro128 } from '@meshraft/sim';
import type { KvNode, RuntimeCluster } from './runtime-cluster.js';
import type { VirtualClock } from './virtual-clock.js';

export interface RuntimeClientStats {
  issued: number;
  completed: number;
  indeterminate: number;
  /** Proposals retried through another member with the NoQuorumError's request. */
  retries: number;
  /** Retries that completed. */
  retriesCompleted: number;
  linearizableReads: number;
  leaseReads: number;
}

type Op = { -readonly [K in keyof KvOperation]: KvOperation[K] };

const TIMED_OUT = Symbol('client deadline');
const decoder = new TextDecoder();

export class RuntimeClients {
  private readonly ops: Op[] = [];
  private readonly busy = new Set<number>();
  private readonly written = new Map<string, string[]>();
  private counter = 0;
  private stopped = false;
  readonly stats: RuntimeClientStats = { issued: 0, completed: 0, indeterminate: 0, retries: 0, retriesCompleted: 0, linearizableReads: 0, leaseReads: 0 };

  constructor(
    private readonly rng: Xoshiro128,
    private readonly o: WorkloadOptions & { readonly timeoutMs: number },
    private readonly cluster: RuntimeCluster,
    private readonly clock: VirtualClock,
  ) {}

  get idle(): boolean {
    return this.busy.size === 0;
  }

  stop(): void {
    this.stopped = true;
  }

  history(): KvOperation[] {
    return this.ops;
  }

  /** Called once per fault step: idle clients may start an operation. */
  step(): void {
    if (this.stopped) return;
    for (let c = 0; c < this.o.clients; c++) {
      if (!this.busy.has(c) && this.rng.chance(this.o.opRate)) void this.run(c);
    }
  }

  /** A live node other than `not`, or undefined. */
  private pick(not?: string): KvNode | undefined {
    const ids = this.cluster.live().map((s) => s.id).filter((id) => id !== not);
    if (ids.length === 0) return undefined;
    return this.cluster.node(this.rng.pick(ids));
  }

  private input(client: number): KvInput {
    const key = `k${this.rng.int(this.o.keys)}`;
    const value = `c${client}.${++this.counter}`;
    const r = this.rng.float();
    if (r < 0.45) return { kind: 'get', key };
    if (r < 0.8) return { kind: 'put', key, value };
    const seen = this.written.get(key) ?? [];
    const expected = seen.length > 0 && this.rng.chance(0.7) ? this.rng.pick(seen.slice(-3)) : null;
    return { kind: 'cas', key, expected, value };
  }

  private async run(client: number): Promise<void> {
    let node = this.pick();
    if (node === undefined) return;
    this.busy.add(client);
    const input = this.input(client);
    if (input.kind !== 'get') {
      const list = this.written.get(input.key) ?? [];
      list.push(input.value);
      this.written.set(input.key, list);
    }
    const op: Op = { clientId: client, input, callTime: this.clock.now };
    this.ops.push(op);
    this.stats.issued++;
    const lease = input.kind === 'get' && this.rng.chance(0.5);
    let request: SessionKey | undefined;
    try {
      for (let attempt = 1; attempt <= this.o.maxAttempts && node !== undefined; attempt++) {
        let out: KvOutput | typeof TIMED_OUT;
        // A paused process takes the request only once it runs again.
        const resume = this.cluster.pausedUntil(node.id);
        if (resume !== undefined) await new Promise<void>((r) => this.clock.at(resume, 'clients', r));
        if (this.cluster.node(node.id) !== node) return; // crashed meanwhile: outcome unknown
        try {
          out = await this.deadline(this.exec(node, input, lease, request, this.clock.now));
        } catch (err) {
          if (!(err instanceof NoQuorumError)) return; // stopped, stale: outcome unknown
          if (input.kind !== 'get') {
            if (err.request === undefined) return;
            request = err.request;
          }
          if (!this.rng.chance(this.o.retryRate)) return;
          node = this.pick(node.id);
          if (request !== undefined) this.stats.retries++;
          continue;
        }
        if (out === TIMED_OUT) return; // the node went down with the operation
        op.output = out;
        op.returnTime = this.clock.now;
        this.stats.completed++;
        if (request !== undefined) this.stats.retriesCompleted++;
        if (input.kind === 'get') this.stats[lease ? 'leaseReads' : 'linearizableReads']++;
        return;
      }
    } finally {
      if (op.returnTime === undefined) this.stats.indeterminate++;
      this.busy.delete(client);
    }
  }

  private async exec(node: KvNode, input: KvInput, lease: boolean, request: SessionKey | undefined, reachedAt: number): Promise<KvOutput> {
    const timeoutMs = this.o.timeoutMs;
    const opts = { timeoutMs, ...(request !== undefined && { request }) };
    switch (input.kind) {
      case 'get': {
        const r = await node.read(range(input.key), { consistency: lease ? 'lease' : 'linearizable', timeoutMs });
        if (!r.ok) throw new Error(`range failed: ${r.message}`);
        this.cluster.observeRead(node.id, reachedAt);
        const kv = r.kvs[0];
        return { value: kv === undefined ? null : decoder.decode(kv.value) };
      }
      case 'put': {
        const r = await node.propose(put(input.key, input.value), opts);
        if (!r.ok) throw new Error(`put failed: ${r.message}`);
        return {};
      }
      case 'cas': {
        const r = await node.propose(cas(input.key, input.expected, input.value), opts);
        if (r.type !== 'txn') throw new Error(`cas failed: ${r.type === 'error' ? r.message : r.type}`);
        return { ok: r.succeeded };
      }
    }
  }

  /** Waits for `p`, or gives up a little after the runtime's own timeout (the node crashed). */
  private deadline<T>(p: Promise<T>): Promise<T | typeof TIMED_OUT> {
    return new Promise((resolve, reject) => {
      const h = this.clock.at(this.clock.now + this.o.timeoutMs + 100, 'clients', () => resolve(TIMED_OUT));
      p.then(
        (v) => {
          h.cancelled = true;
          resolve(v);
        },
        (e: unknown) => {
          h.cancelled = true;
          reject(e);
        },
      );
    });
  }
}
