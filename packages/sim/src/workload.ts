/**
 * @module workload
 * Simulated KV clients. Each client registers a session, then issues one operation at a time
 * (get, put or compare-and-set) to a random node: writes, and some gets, as log commands; most
 * gets as ReadIndex reads. A client that hears nothing before its timeout either retries the
 * same (client, seq) at another node, which the session table makes exactly-once, or gives up,
 * leaving the operation indeterminate. Every operation is recorded with the times it was called
 * and answered, for the linearizability checker.
 */
import { MeshraftError } from '@meshraft/core';
import { encodeCommand } from './commands.js';
import { BadSimConfigError } from './errors.js';
import type { ApplyOutcome } from './kv-state-machine.js';
import type { KvInput, KvOperation, KvOutput } from './linearizability/kv-model.js';
import type { Xoshiro128 } from './random.js';
import type { SimNode } from './sim-node.js';

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** Chance per tick that an idle client starts an operation. */
  readonly opRate: number;
  /** Ticks a client waits for an answer. */
  readonly timeout: number;
  /** Chance that a timed-out operation is retried (same seq) rather than abandoned. */
  readonly retryRate: number;
  readonly maxAttempts: number;
  /** Share of gets served by ReadIndex instead of through the log. */
  readonly readIndexRate: number;
}

interface Pending {
  readonly op: { clientId: number; input: KvInput; callTime: number };
  readonly seq: number;
  readonly viaLog: boolean;
  attempt: number;
  deadline: number;
  readId: string | null;
  /** Index in the history array. */
  readonly slot: number;
}

interface Client {
  readonly index: number;
  session: number | null;
  /** Registrations asked for (any answer will do: a session is a session) and when to ask again. */
  registering: { nonces: Set<string>; deadline: number } | null;
  seq: number;
  pending: Pending | null;
  registrations: number;
}

export interface WorkloadStats {
  issued: number;
  completed: number;
  indeterminate: number;
  retries: number;
  refused: number;
  /** Retries answered with the cached result of an already-applied command. */
  retriesAnsweredFromCache: number;
  /** Commands refused because the client's session had expired (the client re-registers). */
  sessionsExpired: number;
}

export class Workload {
  private readonly clients: Client[];
  private readonly ops: (KvOperation & { returnTime?: number; output?: KvOutput })[] = [];
  private readCounter = 0;
  readonly stats: WorkloadStats = { issued: 0, completed: 0, indeterminate: 0, retries: 0, refused: 0, retriesAnsweredFromCache: 0, sessionsExpired: 0 };
  private stopped = false;

  constructor(
    private readonly rng: Xoshiro128,
    private readonly opts: WorkloadOptions,
    private readonly nodes: readonly SimNode[],
    private readonly clock: () => number,
    private readonly trace: (line: string) => void,
  ) {
    this.clients = Array.from({ length: opts.clients }, (_, index) => ({
      index,
      session: null,
      registering: null,
      seq: 0,
      pending: null,
      registrations: 0,
    }));
  }

  /** Stop starting new operations (pending ones may still finish). */
  stop(): void {
    this.stopped = true;
  }

  get busy(): boolean {
    return this.clients.some((c) => c.pending !== null);
  }

  tick(now: number): void {
    for (const c of this.clients) {
      if (c.session === null) this.driveRegistration(c, now);
      else if (c.pending === null) {
        if (!this.stopped && this.rng.chance(this.opts.opRate)) this.startOp(c, now);
      } else if (now >= c.pending.deadline) this.onTimeout(c, now);
    }
  }

  private pickNode(): SimNode {
    return this.rng.pick(this.nodes);
  }

  private driveRegistration(c: Client, now: number): void {
    if (c.registering !== null && now < c.registering.deadline) return;
    if (this.stopped) return;
    const node = this.pickNode();
    if (!node.alive) return;
    const nonce = `c${c.index}.${c.registrations++}`;
    try {
      node.raw!.propose(encodeCommand({ t: 'reg', nonce }));
      node.asked.add(nonce);
      // Earlier attempts stay acceptable: on a slow network their answer may come first.
      const nonces = c.registering?.nonces ?? new Set<string>();
      nonces.add(nonce);
      c.registering = { nonces, deadline: now + this.opts.timeout };
    } catch (e) {
      if (!(e instanceof MeshraftError)) throw e;
    }
  }

  private randomInput(): KvInput {
    const key = `k${this.rng.int(this.opts.keys)}`;
    const value = `v${this.rng.int(1_000_000)}`;
    const r = this.rng.int(10);
    if (r < 4) return { kind: 'get', key };
    if (r < 8) return { kind: 'put', key, value };
    const expected = this.rng.chance(0.2) ? null : `v${this.rng.int(1_000_000)}`;
    // Mostly CAS against a value the key plausibly holds, so some succeed.
    const last = this.lastWritten.get(key);
    return { kind: 'cas', key, expected: last !== undefined && this.rng.chance(0.7) ? last : expected, value };
  }

  private readonly lastWritten = new Map<string, string>();

  private startOp(c: Client, now: number): void {
    const input = this.randomInput();
    const viaLog = input.kind !== 'get' || !this.rng.chance(this.opts.readIndexRate);
    this.begin(c, input, viaLog, now, this.pickNode());
  }

  /**
   * Scripted runs: client `index` calls `input` at `node` now (a get goes through ReadIndex).
   * Returns false if the node refused it (down, or no leader known).
   */
  submit(index: number, input: KvInput, node: SimNode, now: number): boolean {
    const c = this.clients[index];
    if (c === undefined || c.session === null || c.pending !== null) {
      throw new BadSimConfigError(`client ${index} is not registered and idle`);
    }
    return this.begin(c, input, input.kind !== 'get', now, node);
  }

  /** Scripted runs: whether client `index` has a session and no operation in flight. */
  idle(index: number): boolean {
    const c = this.clients[index];
    return c !== undefined && c.session !== null && c.pending === null;
  }

  private begin(c: Client, input: KvInput, viaLog: boolean, now: number, node: SimNode): boolean {
    c.seq++;
    const slot = this.ops.length;
    const op = { clientId: c.index, input, callTime: this.clock() };
    const p: Pending = { op, seq: c.seq, viaLog, attempt: 0, deadline: now + this.opts.timeout, readId: null, slot };
    this.ops.push(op);
    c.pending = p;
    this.stats.issued++;
    this.trace(`client ${c.index} calls ${describe(input)} at ${node.id} (seq ${c.seq})`);
    if (!this.send(c, p, node)) {
      // Never reached the cluster: it cannot have taken effect, so it is not part of the history.
      this.ops.pop();
      c.pending = null;
      this.stats.refused++;
      this.trace(`client ${c.index} refused: ${node.id} did not take seq ${c.seq}`);
      return false;
    }
    return true;
  }

  /** Sends (or resends) the pending operation to `node`; false if it was refused. */
  private send(c: Client, p: Pending, node: SimNode): boolean {
    if (!node.alive) return false;
    try {
      if (p.viaLog) {
        node.raw!.propose(encodeCommand({ t: 'kv', client: c.session!, seq: p.seq, op: p.op.input }));
        node.asked.add(`${c.session!}:${p.seq}`);
      } else {
        p.readId = `r${this.readCounter++}`;
        node.startRead(p.readId, p.op.input.key);
      }
      return true;
    } catch (e) {
      if (e instanceof MeshraftError) return false;
      throw e;
    }
  }

  private onTimeout(c: Client, now: number): void {
    const p = c.pending!;
    if (p.attempt + 1 < this.opts.maxAttempts && this.rng.chance(this.opts.retryRate)) {
      p.attempt++;
      p.deadline = now + this.opts.timeout;
      this.stats.retries++;
      this.trace(`client ${c.index} retries seq ${p.seq} (attempt ${p.attempt + 1})`);
      this.send(c, p, this.pickNode()); // a refused retry just waits for the next timeout
      return;
    }
    this.stats.indeterminate++;
    this.trace(`client ${c.index} gives up on seq ${p.seq}: outcome unknown`);
    c.pending = null;
  }

  private complete(c: Client, output: KvOutput): void {
    const p = c.pending!;
    const returnTime = this.clock();
    this.ops[p.slot] = { ...p.op, returnTime, output };
    if (p.op.input.kind === 'put') this.lastWritten.set(p.op.input.key, p.op.input.value);
    if (p.op.input.kind === 'cas' && output.ok) this.lastWritten.set(p.op.input.key, p.op.input.value);
    c.pending = null;
    this.stats.completed++;
    this.trace(`client ${c.index} <- ${describe(p.op.input)} = ${JSON.stringify(output)}`);
  }

  /** Called for every entry a node applies; the node answers only what it was asked. */
  onApplied(node: SimNode, outcome: ApplyOutcome): void {
    const asked = (key: string): boolean => node.asked.delete(key);
    if (outcome.kind === 'registered') {
      const c = this.clients.find((x) => x.registering?.nonces.has(outcome.nonce) === true);
      if (c !== undefined && c.session === null && asked(outcome.nonce)) {
        c.session = outcome.client;
        c.registering = null;
        this.trace(`client ${c.index} registered as session ${outcome.client} via ${node.id}`);
      }
      return;
    }
    if (outcome.kind !== 'kv') return;
    const c = this.clients.find((x) => x.session === outcome.client);
    const p = c?.pending;
    if (c === undefined || p === undefined || p === null || !p.viaLog || p.seq !== outcome.seq) return;
    if (!asked(`${outcome.client}:${outcome.seq}`)) return;
    if (outcome.decision === 'duplicate') this.stats.retriesAnsweredFromCache++;
    if (outcome.output !== undefined) this.complete(c, outcome.output);
    else if (outcome.decision === 'expired') {
      // The session is gone: the outcome of this command is unknown; start over with a new session.
      this.stats.indeterminate++;
      this.stats.sessionsExpired++;
      this.trace(`client ${c.index}: session ${c.session} expired; seq ${p.seq} outcome unknown; registering again`);
      c.pending = null;
      c.session = null;
    }
  }

  onRead(readId: string, output: KvOutput): void {
    const c = this.clients.find((x) => x.pending?.readId === readId);
    if (c !== undefined) this.complete(c, output);
  }

  /** The recorded history; unanswered operations are indeterminate. */
  history(): KvOperation[] {
    return this.ops.slice();
  }
}

export function describe(input: KvInput): string {
  switch (input.kind) {
    case 'get':
      return `get(${input.key})`;
    case 'put':
      return `put(${input.key}, ${input.value})`;
    case 'cas':
      return `cas(${input.key}, ${input.expected ?? 'absent'} -> ${input.value})`;
  }
}
