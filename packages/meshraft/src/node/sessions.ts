/**
 * @module sessions
 * The exactly-once session table, applied deterministically on every replica (Raft thesis §6.3).
 * Each command entry carries (client, seq, acked): a duplicate (client, seq) returns the cached
 * result instead of applying again, so retries across timeouts and leader changes are safe.
 * `acked` is the client's promise that it will never retry seqs <= acked, which lets every replica
 * drop those results.
 *
 * Not packages/sim's SimSessionTable: that one keeps only each client's latest seq, so it allows
 * one outstanding command per client, and a node pipelines many concurrent proposals whose
 * entries may commit out of order across a leader change. Clients idle for `ttlEntries` log
 * entries are forgotten (deterministically, by log index), bounding the table.
 */

export interface SessionKey {
  readonly client: string;
  readonly seq: number;
}

interface ClientSession {
  /** Every seq <= floor is answered and forgotten. */
  floor: number;
  /** Log index of the client's latest entry. */
  lastIndex: number;
  readonly results: Map<number, unknown>;
}

/** The serialisable form kept in snapshots. */
export type SessionTableData = [
  client: string,
  floor: number,
  lastIndex: number,
  results: [seq: number, result: unknown][],
][];

/** Default idle lifetime of a client session, in log entries. */
export const DEFAULT_SESSION_TTL_ENTRIES = 1_000_000;

export type SessionOutcome =
  | { readonly kind: 'apply' }
  | { readonly kind: 'duplicate'; readonly result: unknown }
  /** Older than the client's acked floor: a stale retry whose result is gone. Never applied. */
  | { readonly kind: 'stale' };

export class SessionTable {
  private readonly clients = new Map<string, ClientSession>();
  private lastSweep = 0;

  constructor(private readonly ttlEntries = DEFAULT_SESSION_TTL_ENTRIES) {}

  /** Decides what to do with (client, seq) arriving in the entry at log `index`. */
  check(key: SessionKey, index: number): SessionOutcome {
    const s = this.live(key.client, index);
    if (!s) return { kind: 'apply' };
    if (key.seq <= s.floor) return { kind: 'stale' };
    if (s.results.has(key.seq)) return { kind: 'duplicate', result: s.results.get(key.seq) };
    return { kind: 'apply' };
  }

  /**
   * Records the result of a command applied at log `index` and forgets results the client has
   * acknowledged. Pass `result` undefined with `applied` false for a duplicate or stale entry:
   * only its acked floor and activity count.
   */
  record(key: SessionKey, acked: number, index: number, applied: boolean, result?: unknown): void {
    let s = this.live(key.client, index);
    if (!s) this.clients.set(key.client, (s = { floor: 0, lastIndex: index, results: new Map() }));
    s.lastIndex = index;
    if (applied) s.results.set(key.seq, result);
    this.ack(s, acked);
    this.sweep(index);
  }

  /**
   * The client's session unless it expired as of `index`. Expiry depends only on log indices, so
   * whether a physical sweep has run yet never changes an outcome.
   */
  private live(client: string, index: number): ClientSession | undefined {
    const s = this.clients.get(client);
    return s && index - s.lastIndex <= this.ttlEntries ? s : undefined;
  }

  /** Frees expired sessions now and then (memory only; see live()). */
  private sweep(index: number): void {
    if (index - this.lastSweep < 1024) return;
    this.lastSweep = index;
    for (const [c, s] of this.clients) if (index - s.lastIndex > this.ttlEntries) this.clients.delete(c);
  }

  private ack(s: ClientSession, acked: number): void {
    if (acked <= s.floor) return;
    s.floor = acked;
    for (const seq of s.results.keys()) if (seq <= acked) s.results.delete(seq);
  }

  get size(): number {
    return this.clients.size;
  }

  toData(): SessionTableData {
    return [...this.clients].map(([c, s]) => [c, s.floor, s.lastIndex, [...s.results]]);
  }

  static fromData(data: SessionTableData, ttlEntries = DEFAULT_SESSION_TTL_ENTRIES): SessionTable {
    const t = new SessionTable(ttlEntries);
    for (const [client, floor, lastIndex, results] of data) {
      t.clients.set(client, { floor, lastIndex, results: new Map(results) });
    }
    return t;
  }
}
