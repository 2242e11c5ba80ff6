import { describe, expect, it } from 'vitest';
import { harness } from './__tests__/kv-harness.js';
import { bytesToString } from './bytes.js';
import { deleteRange, put, range, txn } from './kv-commands.js';
import { KvErrorCode } from './kv-errors.js';
import { createKvStateMachine } from './kv-state-machine.js';
import type { LeaseEvent } from './lease-table.js';

const grant = (id: number, ttl = 10) => ({ type: 'leaseGrant', id, ttl }) as const;
const keepAlive = (id: number) => ({ type: 'leaseKeepAlive', id }) as const;
const revoke = (id: number, refreshes?: number) => ({ type: 'leaseRevoke', id, ...(refreshes !== undefined && { refreshes }) }) as const;

function keysOf(h: ReturnType<typeof harness>, id: number): string[] {
  return h.sm.leases.keys(id).map(bytesToString);
}

describe('leases in the KV state machine', () => {
  it('grants a lease without changing the revision; a second grant of the id fails', () => {
    const h = harness();
    expect(h.apply(grant(5, 30))).toEqual({ type: 'leaseGrant', ok: true, revision: 1, id: 5, ttl: 30 });
    expect(h.apply(grant(5))).toMatchObject({ ok: false, code: KvErrorCode.LeaseExists });
    expect(h.sm.leases.list()).toEqual([{ id: 5, ttl: 30, refreshes: 1 }]);
    expect(h.sm.revision).toBe(1);
  });

  it('refuses a put with an unknown lease, also inside a txn (rolled back whole)', () => {
    const h = harness();
    expect(h.apply(put('a', '1', { lease: 7 }))).toMatchObject({ ok: false, code: KvErrorCode.LeaseNotFound });
    const t = h.apply(txn([], [put('b', '1'), put('c', '1', { lease: 7 })]));
    expect(t).toMatchObject({ ok: false, code: KvErrorCode.LeaseNotFound });
    expect(h.sm.size).toBe(0);
  });

  it('attaches keys with put, moves them on re-put, honours ignoreLease, detaches on delete', () => {
    const h = harness();
    h.apply(grant(1));
    h.apply(grant(2));
    h.apply(put('a', '1', { lease: 1 }));
    h.apply(put('b', '1', { lease: 1 }));
    h.apply(put('c', '1', { lease: 2 }));
    expect(keysOf(h, 1)).toEqual(['a', 'b']);
    h.apply(put('b', '2', { lease: 2 }));
    h.apply(put('a', '3', { ignoreLease: true }));
    expect(keysOf(h, 1)).toEqual(['a']);
    expect(keysOf(h, 2)).toEqual(['b', 'c']);
    h.apply(put('c', '2'));
    h.apply(deleteRange('b'));
    expect(keysOf(h, 2)).toEqual([]);
    const a = h.sm.query(range('a'));
    expect(a.ok && a.kvs[0]?.lease).toBe(1);
  });

  it('revokes: deletes the attached keys in one revision and forgets the lease', () => {
    const h = harness();
    h.apply(grant(9));
    h.apply(put('x', '1', { lease: 9 }));
    h.apply(put('y', '1', { lease: 9 }));
    h.apply(put('z', '1'));
    const before = h.sm.revision;
    const deletes: string[] = [];
    h.sm.watch({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) }, (b) => deletes.push(...b.events.map((e) => `${b.revision}:${e.type}:${bytesToString(e.kv.key)}`)));
    expect(h.apply(revoke(9))).toEqual({ type: 'leaseRevoke', ok: true, revision: before + 1, revoked: true, deleted: 2 });
    expect(deletes).toEqual([`${before + 1}:delete:x`, `${before + 1}:delete:y`]);
    expect(h.sm.size).toBe(1);
    expect(h.apply(revoke(9))).toMatchObject({ ok: false, code: KvErrorCode.LeaseNotFound });
    expect(h.apply(keepAlive(9))).toMatchObject({ ok: false, code: KvErrorCode.LeaseNotFound });
  });

  it('an expiry revoke that a keep-alive overtook changes nothing', () => {
    const h = harness();
    h.apply(grant(3));
    h.apply(put('k', 'v', { lease: 3 }));
    expect(h.apply(keepAlive(3))).toMatchObject({ ok: true, ttl: 10 });
    expect(h.apply(revoke(3, 1))).toMatchObject({ ok: true, revoked: false, deleted: 0 });
    expect(h.sm.size).toBe(1);
    expect(h.apply(revoke(3, 2))).toMatchObject({ ok: true, revoked: true, deleted: 1 });
    expect(h.sm.size).toBe(0);
  });

  it('tells subscribers about grants, refreshes, revokes and snapshot restores', () => {
    const h = harness();
    const events: LeaseEvent[] = [];
    h.sm.leases.subscribe((e) => events.push(e));
    h.apply(grant(4, 6));
    h.apply(keepAlive(4));
    h.apply(revoke(4));
    h.apply(grant(8, 7));
    const copy = createKvStateMachine();
    const seen: LeaseEvent[] = [];
    copy.leases.subscribe((e) => seen.push(e));
    copy.restore(h.sm.snapshot());
    expect(events).toEqual([
      { type: 'refresh', lease: { id: 4, ttl: 6, refreshes: 1 } },
      { type: 'refresh', lease: { id: 4, ttl: 6, refreshes: 2 } },
      { type: 'revoke', id: 4 },
      { type: 'refresh', lease: { id: 8, ttl: 7, refreshes: 1 } },
    ]);
    expect(seen).toEqual([{ type: 'reset', leases: [{ id: 8, ttl: 7, refreshes: 1 }] }]);
  });

  it('keeps leases and their keys in snapshots, byte-identically', () => {
    const h = harness();
    h.apply(grant(2, 20));
    h.apply(grant(1, 10));
    h.apply(keepAlive(1));
    h.apply(put('p', '1', { lease: 2 }));
    const copy = createKvStateMachine();
    copy.restore(h.sm.snapshot());
    expect(copy.leases.list()).toEqual([
      { id: 1, ttl: 10, refreshes: 2 },
      { id: 2, ttl: 20, refreshes: 1 },
    ]);
    expect(copy.leases.keys(2).map(bytesToString)).toEqual(['p']);
    expect(copy.snapshot()).toEqual(h.sm.snapshot());
    // The restored table works: revoking deletes the restored key.
    const hc = harness(copy);
    expect(hc.apply(revoke(2))).toMatchObject({ ok: true, deleted: 1 });
    expect(copy.size).toBe(0);
  });

  it('rejects malformed lease commands identically on every replica', () => {
    const h = harness();
    expect(h.apply({ type: 'leaseGrant', id: 0, ttl: 5 })).toMatchObject({ ok: false, code: KvErrorCode.InvalidCommand });
    expect(h.apply({ type: 'leaseRevoke', id: -1 })).toMatchObject({ ok: false, code: KvErrorCode.InvalidCommand });
  });
});
