/**
 * @module read-only
 * Pending ReadIndex requests on the leader (Raft thesis §6.4). A request records the commit
 * index when it arrived; it is served once a quorum acknowledged a heartbeat carrying its round
 * context, which proves the leader was still leader when the request arrived. Requests are
 * served in arrival order, so acknowledging a later one also serves the earlier ones.
 *
 * Each registration gets its own round context (a counter, unique for this leader's term), not
 * the client's: a client that asks again with the same context after being answered must not be
 * served by acknowledgements of the earlier round, which may predate requests queued since
 * (FOUND-BUGS.md 10).
 */
import type { NodeId } from './types.js';

/** A linearizable read is safe once the host has applied up to `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

export interface ReadIndexStatus {
  /** Who asked: this node's id for local reads, the follower's for forwarded ones. */
  readonly from: NodeId;
  /** The client's context, answered back with the read index. */
  readonly context: Uint8Array;
  /** The context of this registration's heartbeat round. */
  readonly round: Uint8Array;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/** Contexts are compared by content; this key is cheap and unique per byte string. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/** A round's context: its sequence number as 8 bytes (rounds are keyed apart from client contexts). */
function roundContext(seq: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, seq);
  return out;
}

export class ReadOnly {
  /** Pending requests by round key, in arrival order in `queue`. */
  private readonly pending = new Map<string, ReadIndexStatus>();
  /** Round key of each pending request by client context key: a duplicate is answered by the first. */
  private readonly byClient = new Map<string, string>();
  private queue: string[] = [];
  private seq = 0;

  get size(): number {
    return this.queue.length;
  }

  /**
   * Registers a request and returns its round context for the heartbeats; null for a duplicate
   * of a pending client context (the pending one will answer it).
   */
  addRequest(index: number, from: NodeId, context: Uint8Array): Uint8Array | null {
    const clientKey = contextKey(context);
    if (this.byClient.has(clientKey)) return null;
    const round = roundContext(++this.seq);
    const key = contextKey(round);
    this.pending.set(key, { from, context, round, index, acks: new Set() });
    this.byClient.set(clientKey, key);
    this.queue.push(key);
    return round;
  }

  /** Records `id`'s heartbeat ack for round `round`; returns the acks so far (undefined if unknown). */
  recvAck(id: NodeId, round: Uint8Array): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(contextKey(round));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Removes and returns every request up to and including the one of round `round`. */
  advance(round: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(round);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs === undefined) continue;
      out.push(rs);
      this.pending.delete(k);
      this.byClient.delete(contextKey(rs.context));
    }
    return out;
  }

  /** Round context of the newest pending request, to piggyback on heartbeats. */
  lastPendingContext(): Uint8Array | null {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? null : (this.pending.get(k)?.round ?? null);
  }
}
