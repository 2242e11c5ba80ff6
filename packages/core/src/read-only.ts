/**
 * @module read-only
 * Pending ReadIndex requests on the leader (Raft thesis §6.4). A request records the commit
 * index when it arrived; it is served once a quorum acknowledged a heartbeat carrying its
 * context, which proves the leader was still leader when the request arrived. Requests are
 * served in arrival order, so acknowledging a later one also serves the earlier ones.
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
  readonly context: Uint8Array;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/** Contexts are compared by content; this key is cheap and unique per byte string. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  get size(): number {
    return this.queue.length;
  }

  /** Registers a request; a duplicate context is ignored (the first one will answer it). */
  addRequest(index: number, from: NodeId, context: Uint8Array): boolean {
    const key = contextKey(context);
    if (this.pending.has(key)) return false;
    this.pending.set(key, { from, context, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records `id`'s heartbeat ack for `context`; returns the acks so far (undefined if unknown). */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs !== undefined) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request, to piggyback on heartbeats. */
  lastPendingContext(): Uint8Array | null {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? null : (this.pending.get(k)?.context ?? null);
  }
}
