/**
 * @module sessions
 * Exactly-once client sessions for a replicated state machine (Raft thesis §6.3).
 *
 * Each client registers once; its id is the log index of the register entry, so every replica
 * assigns the same id and a retried registration simply makes a new session. Each command
 * carries (clientId, seq) with seq increasing per client; the table remembers the latest seq and
 * its result, so a retried command is answered from the cache instead of applied again.
 *
 * Deterministic by construction: the table changes only as replicated entries are applied, and
 * expiry uses a logical time the caller takes from the entry (its log index, or a time the
 * leader wrote into it), never a local clock, so every replica expires the same sessions at the
 * same entry. The table serializes with toJSON()/fromJSON() for inclusion in snapshots.
 * No I/O, no clock, no randomness: the runtime can reuse it as is.
 */
import { BadSimConfigError } from './errors.js';

export type ClientId = number;

/** What to do with a command, decided before it is applied. */
export type SessionDecision<R> =
  /** New command: apply it, then call complete(). */
  | { readonly kind: 'apply' }
  /** Already applied: answer with the original result, do not apply again. */
  | { readonly kind: 'duplicate'; readonly result: R }
  /** Older than the client's latest command: the client gave up on it; do not apply. */
  | { readonly kind: 'stale' }
  /** No such session (never registered or expired): do not apply; the client must re-register. */
  | { readonly kind: 'expired' };

interface Session<R> {
  seq: number;
  result: R | undefined;
  lastActive: number;
}

export interface SessionTableOptions {
  /** A session idle for more than this much logical time is dropped. */
  readonly ttl: number;
}

export interface SessionTableJSON<R> {
  readonly ttl: number;
  readonly sessions: readonly (readonly [ClientId, number, R | null, number])[];
}

export class SimSessionTable<R> {
  private readonly sessions = new Map<ClientId, Session<R>>();
  readonly ttl: number;

  constructor(options: SessionTableOptions) {
    if (!(options.ttl > 0)) throw new BadSimConfigError(`session ttl must be positive, got ${options.ttl}`);
    this.ttl = options.ttl;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Opens a session for the register entry at log `index`; its id is that index. */
  register(index: number, now: number): ClientId {
    this.expire(now);
    this.sessions.set(index, { seq: 0, result: undefined, lastActive: now });
    return index;
  }

  /** Decides what to do with command `seq` of `client`, applied at logical time `now`. */
  begin(client: ClientId, seq: number, now: number): SessionDecision<R> {
    this.expire(now);
    const s = this.sessions.get(client);
    if (s === undefined) return { kind: 'expired' };
    s.lastActive = now;
    if (seq > s.seq) return { kind: 'apply' };
    if (seq === s.seq) return { kind: 'duplicate', result: s.result as R };
    return { kind: 'stale' };
  }

  /** Records the result of a command begin() said to apply. */
  complete(client: ClientId, seq: number, result: R): void {
    const s = this.sessions.get(client);
    if (s === undefined || seq <= s.seq) {
      throw new BadSimConfigError(`complete(${client}, ${seq}) without a matching begin()`);
    }
    s.seq = seq;
    s.result = result;
  }

  /** begin(), then `run` if the command is new, then complete(): the usual way to apply. */
  apply(client: ClientId, seq: number, now: number, run: () => R): SessionDecision<R> & { result?: R } {
    const d = this.begin(client, seq, now);
    if (d.kind !== 'apply') return d;
    const result = run();
    this.complete(client, seq, result);
    return { kind: 'apply', result };
  }

  /** The latest (seq, result) of a client, if its session is open. */
  lookup(client: ClientId): { seq: number; result: R | undefined } | undefined {
    const s = this.sessions.get(client);
    return s && { seq: s.seq, result: s.result };
  }

  /** Drops sessions idle for more than ttl as of `now`. */
  expire(now: number): void {
    for (const [id, s] of this.sessions) if (now - s.lastActive > this.ttl) this.sessions.delete(id);
  }

  toJSON(): SessionTableJSON<R> {
    const sessions = [...this.sessions]
      .sort((a, b) => a[0] - b[0])
      .map(([id, s]) => [id, s.seq, s.result ?? null, s.lastActive] as const);
    return { ttl: this.ttl, sessions };
  }

  static fromJSON<R>(json: SessionTableJSON<R>): SimSessionTable<R> {
    const t = new SimSessionTable<R>({ ttl: json.ttl });
    for (const [id, seq, result, lastActive] of json.sessions) {
      t.sessions.set(id, { seq, result: result ?? undefined, lastActive });
    }
    return t;
  }
}
