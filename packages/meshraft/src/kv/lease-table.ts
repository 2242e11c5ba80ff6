/**
 * @module lease-table
 * The replicated part of etcd's leases: which leases exist, their granted TTL, how often they
 * were refreshed, and which keys are attached. Nothing here reads a clock: expiry is decided by
 * the leader (outside the state machine) and arrives as a revoke command, so every replica holds
 * the same table. The attachments are derived from the keys' `lease` fields, so a snapshot need
 * only list the leases themselves.
 */
import { KvError, KvErrorCode } from './kv-errors.js';

/** etcd's MaxLeaseTTL (seconds). */
export const MAX_LEASE_TTL = 9_000_000_000;

export interface LeaseInfo {
  readonly id: number;
  /** The granted TTL in seconds. */
  readonly ttl: number;
  /**
   * Grants and keep-alives applied so far (1 after the grant). An expiry revoke names the count
   * it saw, so a keep-alive applied after the leader decided to expire the lease wins.
   */
  readonly refreshes: number;
}

/** What changed in the table, for the member's lease keeper (the leader-side expiry clock). */
export type LeaseEvent =
  | { readonly type: 'refresh'; readonly lease: LeaseInfo }
  | { readonly type: 'revoke'; readonly id: number }
  /** A snapshot replaced the whole table. */
  | { readonly type: 'reset'; readonly leases: readonly LeaseInfo[] };

/** Read access to a replica's leases, for the etcd layer. */
export interface LeaseView {
  get(id: number): LeaseInfo | undefined;
  /** In id order. */
  list(): LeaseInfo[];
  /** The attached keys in byte order. */
  keys(id: number): Uint8Array[];
  /** Called synchronously as each lease command or snapshot is applied; returns unsubscribe. */
  subscribe(listener: (event: LeaseEvent) => void): () => void;
}

interface Entry {
  ttl: number;
  refreshes: number;
  /** Attached keys, as binary strings (the key index's form). */
  readonly keys: Set<string>;
}

export function leaseNotFound(): KvError {
  return new KvError(KvErrorCode.LeaseNotFound, 'requested lease not found');
}

export class LeaseTable {
  private readonly leases = new Map<number, Entry>();

  get size(): number {
    return this.leases.size;
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  get(id: number): LeaseInfo | undefined {
    const e = this.leases.get(id);
    return e && { id, ttl: e.ttl, refreshes: e.refreshes };
  }

  /** Attached keys (binary strings) in byte order. */
  keys(id: number): string[] {
    return [...(this.leases.get(id)?.keys ?? [])].sort();
  }

  /** Leases in id order (snapshots are byte-identical across replicas). */
  list(): LeaseInfo[] {
    return [...this.leases.entries()].sort(([a], [b]) => a - b).map(([id, e]) => ({ id, ttl: e.ttl, refreshes: e.refreshes }));
  }

  grant(id: number, ttl: number): LeaseInfo {
    if (this.leases.has(id)) throw new KvError(KvErrorCode.LeaseExists, 'lease already exists');
    this.leases.set(id, { ttl, refreshes: 1, keys: new Set() });
    return { id, ttl, refreshes: 1 };
  }

  refresh(id: number): LeaseInfo {
    const e = this.leases.get(id);
    if (!e) throw leaseNotFound();
    e.refreshes += 1;
    return { id, ttl: e.ttl, refreshes: e.refreshes };
  }

  /** Forget the lease; returns its keys so the caller deletes them. */
  remove(id: number): string[] {
    const keys = this.keys(id);
    this.leases.delete(id);
    return keys;
  }

  /** A key's lease changed from `from` to `to` (0: none); unknown leases are ignored. */
  move(binaryKey: string, from: number, to: number): void {
    if (from === to) return;
    if (from !== 0) this.leases.get(from)?.keys.delete(binaryKey);
    if (to !== 0) this.leases.get(to)?.keys.add(binaryKey);
  }

  /** Replace everything: the leases from a snapshot, attachments from the restored keys. */
  load(leases: readonly LeaseInfo[], attached: Iterable<readonly [string, number]>): void {
    this.leases.clear();
    for (const l of leases) this.leases.set(l.id, { ttl: l.ttl, refreshes: l.refreshes, keys: new Set() });
    for (const [k, lease] of attached) if (lease !== 0) this.leases.get(lease)?.keys.add(k);
  }
}
