/**
 * @module commit-notices
 * Holds a leader's commit-only appends (a MsgApp with no entries, sent only to move a follower's
 * commit index) for `delayMs`, and drops one when a later append to the same peer goes out first:
 * that append carries the newer commit too. With one client, each write's commit notice is
 * otherwise two more frames out and two acks back, sent between the apply and the reply; on
 * @roamhq/wrtc each send blocks the JavaScript thread (docs/peer.md). Dropping or delaying a
 * message is always safe in Raft; a follower learns the commit at the latest `delayMs` later (or
 * from the next heartbeat, which carries it as well).
 */
import type { NodeId } from '@meshraft/core';
import type { Message } from './raft-core.js';
import type { TimerHandle, Timers } from './timers.js';

export class CommitNotices {
  private readonly held = new Map<NodeId, { m: Message; readonly timer: TimerHandle }>();

  constructor(
    private readonly timers: Timers,
    private readonly delayMs: number,
    /** Sends a message now. */
    private readonly transmit: (m: Message) => void,
  ) {}

  /** Sends `m`, or holds it if it only carries a commit index. */
  send(m: Message): void {
    if (this.delayMs <= 0 || m.type !== 'app') {
      this.transmit(m);
      return;
    }
    const held = this.held.get(m.to);
    if (m.entries.length === 0) {
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

  /** Drops every held notice (the node stopped). */
  clear(): void {
    for (const h of this.held.values()) this.timers.clearTimeout(h.timer);
    this.held.clear();
  }

  private release(to: NodeId): void {
    const held = this.held.get(to);
    if (!held) return;
    this.held.delete(to);
    this.transmit(held.m);
  }
}
