/**
 * @module commit-notices
 * Holds a leader's commit-only appends (a MsgApp with no entries, sent only to move a follower's
 * commit index) for `delayMs`, and drops one when a later append to the same peer goes out first:
 * that append carries the newer commit too. With one client, each write's commit notice is
 * otherwise two more frames out and two acks back, sent between the apply and the reply; on
 * @roamhq/wrtc each send blocks the JavaScript thread (docs/peer.md). Dropping or delaying a
 * message is always safe in Raft; a follower learns the commit at the latest `delayMs` later (or
 * from the next heartbeat, which carries it as well).
 *
 * A follower that forwarded a proposal waits for exactly that commit to answer its client, so a
 * notice that reaches the last entry it forwarded goes out at once (runtime bench: holding it
 * added the whole delay to every proposal made through a follower).
 */
import type { NodeId } from '@meshraft/core';
import type { Message } from './raft-core.js';
import type { TimerHandle, Timers } from './timers.js';

export class CommitNotices {
  private readonly held = new Map<NodeId, { m: Message; readonly timer: TimerHandle }>();
  /** The last log index each follower's forwarded proposals reached, until a notice covers it. */
  private readonly awaited = new Map<NodeId, number>();

  constructor(
    private readonly timers: Timers,
    private readonly delayMs: number,
    /** Sends a message now. */
    private readonly transmit: (m: Message) => void,
  ) {}

  /** Sends `m`, or holds it if it only carries a commit index (never when `urgent`). */
  send(m: Message, urgent = false): void {
    if (this.delayMs <= 0 || m.type !== 'app') {
      this.transmit(m);
      return;
    }
    const held = this.held.get(m.to);
    const awaited = this.awaited.get(m.to);
    const commitsForwarded = awaited !== undefined && m.commit >= awaited;
    if (commitsForwarded) this.awaited.delete(m.to);
    if (m.entries.length === 0 && !urgent && !commitsForwarded) {
      if (held) held.m = m; // the newer notice replaces the older one, on the older one's timer
      else this.held.set(m.to, { m, timer: this.timers.setTimeout(() => this.release(m.to), this.delayMs) });
      return;
    }
    if (held) {
      this.timers.clearTimeout(held.timer);
      this.held.delete(m.to);
    }
    this.transmit(m);
  }

  /** `from` forwarded proposals now at `lastIndex` of this leader's log: tell it their commit at once. */
  forwarded(from: NodeId, lastIndex: number): void {
    if (this.delayMs > 0) this.awaited.set(from, Math.max(lastIndex, this.awaited.get(from) ?? 0));
  }

  /** Drops every held notice (the node stopped). */
  clear(): void {
    for (const h of this.held.values()) this.timers.clearTimeout(h.timer);
    this.held.clear();
    this.awaited.clear();
  }

  private release(to: NodeId): void {
    const held = this.held.get(to);
    if (!held) return;
    this.held.delete(to);
    this.transmit(held.m);
  }
}
