/**
 * @module lease-keeper
 * The clock side of leases, one per member (etcd's lessor expiry loop). It follows the lease
 * events of the member's state machine and keeps each lease's deadline on this process's
 * monotonic clock. Only while this member leads does it act: an expired lease is revoked by
 * proposing a revoke through the log, so every member deletes the keys when it applies it.
 * A follower never expires anything; its deadlines only estimate the remaining TTL.
 *
 * On becoming leader every deadline is reset to the full TTL plus an election timeout, as etcd's
 * `lessor.Promote` does (without checkpoints the remaining TTL is not replicated), so no lease
 * expires only because leadership moved.
 *
 * It lives beside the lease table (not in the etcd layer) because it depends on nothing but the
 * table and an injected clock: the etcd peer and the runtime simulator run this same code.
 */
import type { LeaseEvent, LeaseInfo, LeaseView } from './lease-table.js';
import type { LeaseRevokeCommand } from './lease-types.js';

/** etcd's leaseRevokeRate: at most this many expiry revokes are proposed per second. */
const REVOKES_PER_SECOND = 1000;

export interface LeaseKeeperOptions {
  readonly leases: LeaseView;
  /** Proposes an expiry revoke; a rejection is retried on a later sweep. */
  readonly propose: (command: LeaseRevokeCommand) => Promise<unknown>;
  /** Added to every deadline when this member becomes leader (etcd: the election timeout). */
  readonly electionTimeoutMs: number;
  /**
   * The clock and the sweep timer (default: `performance.now` and the global setInterval). The
   * runtime's injected Timers fit, so a simulator drives the keeper on virtual time.
   */
  readonly timers?: LeaseKeeperTimers;
  /** How often expiry is checked (default 250 ms; etcd checks every 500 ms). */
  readonly sweepMs?: number;
}

export interface LeaseKeeperTimers {
  /** Monotonic milliseconds. */
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const systemClock: LeaseKeeperTimers = {
  now: () => performance.now(),
  setInterval: (fn, ms) => {
    const t = globalThis.setInterval(fn, ms);
    // The sweep alone must not keep a process alive.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof globalThis.setInterval>),
};

export interface LeaseKeeper {
  /** Tell the keeper whether this member leads now. */
  setLeader(leader: boolean): void;
  /** Milliseconds until the lease expires as this member reckons it; undefined if unknown. */
  remainingMs(id: number): number | undefined;
  /** Check for expired leases now (the timer calls this too). */
  sweep(): void;
  stop(): void;
}

interface Deadline {
  at: number;
  readonly ttl: number;
  readonly refreshes: number;
}

export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const timers = options.timers ?? systemClock;
  const now = () => timers.now();
  const sweepMs = options.sweepMs ?? 250;
  const perSweep = Math.max(1, Math.ceil((REVOKES_PER_SECOND * sweepMs) / 1000));
  const deadlines = new Map<number, Deadline>();
  const inFlight = new Set<number>();
  let leader = false;

  const track = (l: LeaseInfo, extraMs: number) => deadlines.set(l.id, { at: now() + l.ttl * 1000 + extraMs, ttl: l.ttl, refreshes: l.refreshes });

  function onEvent(e: LeaseEvent): void {
    switch (e.type) {
      case 'refresh':
        track(e.lease, 0);
        return;
      case 'revoke':
        deadlines.delete(e.id);
        return;
      case 'reset':
        deadlines.clear();
        for (const l of e.leases) track(l, leader ? options.electionTimeoutMs : 0);
        return;
    }
  }

  for (const l of options.leases.list()) track(l, 0);
  const unsubscribe = options.leases.subscribe(onEvent);

  function sweep(): void {
    if (!leader) return;
    const t = now();
    let proposed = 0;
    for (const [id, d] of deadlines) {
      if (proposed >= perSweep) break;
      if (d.at > t || inFlight.has(id)) continue;
      inFlight.add(id);
      proposed += 1;
      // The revoke names the refresh count seen here: a keep-alive applied first voids it.
      options
        .propose({ type: 'leaseRevoke', id, refreshes: d.refreshes })
        .catch(() => {})
        .finally(() => inFlight.delete(id));
    }
  }

  const timer = timers.setInterval(sweep, sweepMs);

  return {
    setLeader(next) {
      if (next && !leader) {
        // etcd's Promote: every lease gets its full TTL again, plus an election timeout.
        const t = now();
        for (const d of deadlines.values()) d.at = t + d.ttl * 1000 + options.electionTimeoutMs;
      }
      leader = next;
    },
    remainingMs(id) {
      const d = deadlines.get(id);
      return d && Math.max(0, d.at - now());
    },
    sweep,
    stop() {
      timers.clearInterval(timer);
      unsubscribe();
    },
  };
}
