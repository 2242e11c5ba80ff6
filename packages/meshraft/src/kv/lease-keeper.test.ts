import { describe, expect, it } from 'vitest';
import { createKvStateMachine } from './kv-state-machine.js';
import { createLeaseKeeper, type LeaseKeeperTimers } from './lease-keeper.js';
import type { LeaseRevokeCommand } from './lease-types.js';

/** A hand-driven clock: the keeper's sweep interval runs only when `advance` passes it. */
function manualTimers(): LeaseKeeperTimers & { advance(ms: number): void; readonly intervals: number } {
  let t = 0;
  const timers = new Map<number, { fn: () => void; every: number; next: number }>();
  let ids = 0;
  return {
    now: () => t,
    setInterval(fn, ms) {
      timers.set(++ids, { fn, every: ms, next: t + ms });
      return ids;
    },
    clearInterval: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const due = [...timers.values()].filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
        if (due === undefined) break;
        t = due.next;
        due.next += due.every;
        due.fn();
      }
      t = end;
    },
    get intervals() {
      return timers.size;
    },
  };
}

function setup() {
  const sm = createKvStateMachine();
  let index = 0;
  const apply = (c: Parameters<typeof sm.apply>[0]) => sm.apply(c, { index: ++index, term: 1 });
  const proposed: LeaseRevokeCommand[] = [];
  const timers = manualTimers();
  const keeper = createLeaseKeeper({
    leases: sm.leases,
    electionTimeoutMs: 1000,
    timers,
    sweepMs: 100,
    propose: async (c) => {
      proposed.push(c);
      return apply(c);
    },
  });
  return { sm, apply, proposed, timers, keeper };
}

describe('lease keeper on injected timers', () => {
  it('only a leader proposes expiry, once the TTL passed, naming the refresh count it saw', async () => {
    const { apply, proposed, timers, keeper, sm } = setup();
    apply({ type: 'leaseGrant', id: 7, ttl: 2 });
    timers.advance(5000);
    expect(proposed).toEqual([]); // a follower never expires anything
    keeper.setLeader(true);
    // Promotion: the full TTL plus an election timeout from now.
    expect(keeper.remainingMs(7)).toBe(3000);
    timers.advance(2900);
    expect(proposed).toEqual([]);
    timers.advance(200);
    await Promise.resolve();
    expect(proposed).toEqual([{ type: 'leaseRevoke', id: 7, refreshes: 1 }]);
    expect(sm.leases.get(7)).toBeUndefined();
  });

  it('a keep-alive applied after the leader decided voids its revoke', async () => {
    const { apply, timers, keeper, sm } = setup();
    keeper.setLeader(true);
    apply({ type: 'leaseGrant', id: 9, ttl: 1 });
    apply({ type: 'put', key: new TextEncoder().encode('k'), value: new Uint8Array([1]), lease: 9 });
    // The stale decision (refreshes 1) lands after a keep-alive (refreshes 2): nothing is revoked.
    apply({ type: 'leaseKeepAlive', id: 9 });
    const r = apply({ type: 'leaseRevoke', id: 9, refreshes: 1 });
    expect(r).toMatchObject({ ok: true, revoked: false, deleted: 0 });
    expect(sm.leases.keys(9)).toHaveLength(1);
    // The keep-alive gave it its TTL again from when it was applied.
    expect(keeper.remainingMs(9)).toBe(1000);
    timers.advance(1100);
    await Promise.resolve();
    expect(sm.leases.get(9)).toBeUndefined();
  });

  it('stop() clears its interval and unsubscribes', () => {
    const { apply, timers, keeper } = setup();
    expect(timers.intervals).toBe(1);
    keeper.stop();
    expect(timers.intervals).toBe(0);
    apply({ type: 'leaseGrant', id: 3, ttl: 5 });
    expect(keeper.remainingMs(3)).toBeUndefined();
  });
});
