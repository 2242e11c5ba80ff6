/**
 * @module peer-contact
 * When each peer was last heard from (the membership policy's liveness), which of this leader's
 * sends each peer last answered (the lease) and when the leader of the current term last reached us.
 */
import type { NodeId } from '@meshraft/core';
import type { Message } from './raft-core.js';
import type { Timers } from './timers.js';

/**
 * Lease stamps carried beside a Raft message: a leader stamps its appends, heartbeats and
 * snapshots with its clock (`sentAt`); a follower's answer echoes the latest stamp it heard from
 * that leader in that term (`answers`). An answer therefore proves contact no older than the
 * stamp it echoes, measured on the leader's own clock, however long it sat in a buffer.
 */
export interface LeaseStamp {
  readonly sentAt?: number;
  readonly answers?: number;
}

const isBroadcast = (m: Message): boolean => m.type === 'app' || m.type === 'heartbeat' || m.type === 'snapshot';
const isAnswer = (m: Message): boolean => m.type === 'appResp' || m.type === 'heartbeatResp';

/** Records stamp `at` for `id` unless one at least as new of the same term is held (late arrivals never move it back). */
function keepNewest(map: Map<NodeId, { at: number; term: number }>, id: NodeId, at: number, term: number): void {
  const prev = map.get(id);
  if (!prev || prev.term !== term || at > prev.at) map.set(id, { at, term });
}

export class PeerContact {
  readonly lastHeard = new Map<NodeId, number>();
  /**
   * Per peer, the newest of this node's send stamps it echoed (`at`, this node's clock), and in
   * which term. Only stamped answers count: an unstamped one proves nothing about when.
   */
  readonly lastAck = new Map<NodeId, { at: number; term: number }>();
  /** `timers.now()` of the last broadcast from the current term's leader; null if never. */
  lastLeaderContact: number | null = null;
  /** The term in which this node last sent a TimeoutNow (handed leadership over); null if never. */
  transferTerm: number | null = null;
  /** Broadcasts not yet matched against the leader of the next Ready's view. */
  private readonly unconfirmed = new Map<NodeId, { at: number; term: number }>();
  /** The latest send stamp heard from each leader, and in which term: what our answers echo. */
  private readonly heardSent = new Map<NodeId, { at: number; term: number }>();

  constructor(private readonly timers: Timers) {}

  heard(from: NodeId): void {
    this.lastHeard.set(from, this.timers.now());
  }

  /** A Raft message from `from`, before the core steps it; `stamp` is its frame's sentAt or answers. */
  raftMessage(from: NodeId, m: Message, stamp?: number): void {
    const at = this.timers.now();
    if (isAnswer(m) && stamp !== undefined) keepNewest(this.lastAck, from, stamp, m.term);
    if (isBroadcast(m)) {
      this.unconfirmed.set(from, { at, term: m.term });
      if (stamp !== undefined) keepNewest(this.heardSent, from, stamp, m.term);
    }
  }

  /** The stamp to send beside `m`; also notes a TimeoutNow, after which this term holds no lease. */
  onSend(m: Message): LeaseStamp {
    if (isBroadcast(m)) return { sentAt: this.timers.now() };
    if (isAnswer(m)) {
      const h = this.heardSent.get(m.to);
      return h && h.term === m.term ? { answers: h.at } : {};
    }
    if (m.type === 'timeoutNow') this.transferTerm = Math.max(this.transferTerm ?? -Infinity, m.term);
    return {};
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
