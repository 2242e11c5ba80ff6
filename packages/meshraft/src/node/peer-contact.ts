/**
 * @module peer-contact
 * When each peer was last heard from (the membership policy's liveness), when it last answered
 * this leader's appends (the lease) and when the leader of the current term last reached us.
 */
import type { NodeId } from '@meshraft/core';
import type { Message } from './raft-core.js';
import type { Timers } from './timers.js';

export class PeerContact {
  readonly lastHeard = new Map<NodeId, number>();
  /** When each peer last answered this node's appends/heartbeats, and in which term. */
  readonly lastAck = new Map<NodeId, { at: number; term: number }>();
  /** `timers.now()` of the last broadcast from the current term's leader; null if never. */
  lastLeaderContact: number | null = null;
  /** Broadcasts not yet matched against the leader of the next Ready's view. */
  private readonly unconfirmed = new Map<NodeId, { at: number; term: number }>();

  constructor(private readonly timers: Timers) {}

  heard(from: NodeId): void {
    this.lastHeard.set(from, this.timers.now());
  }

  /** A Raft message from `from`, before the core steps it. */
  raftMessage(from: NodeId, m: Message): void {
    const at = this.timers.now();
    if (m.type === 'appResp' || m.type === 'heartbeatResp') this.lastAck.set(from, { at, term: m.term });
    if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot') this.unconfirmed.set(from, { at, term: m.term });
  }

  /**
   * A broadcast counts as leader contact only if the core took its sender as its leader: decided
   * once the Ready after it shows who leads in which term.
   */
  confirm(leader: NodeId | null, term: number): void {
    if (this.unconfirmed.size === 0) return;
    const c = leader === null ? undefined : this.unconfirmed.get(leader);
    if (c && c.term === term) this.lastLeaderContact = Math.max(this.lastLeaderContact ?? -Infinity, c.at);
    this.unconfirmed.clear();
  }
}
