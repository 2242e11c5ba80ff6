/**
 * @module lease-ops
 * etcd's lease operations over a KvClient, as the gRPC Lease service and the JSON gateway serve
 * them: TTL bounds and server-chosen ids are settled here, on the proposer, before anything is
 * replicated. TimeToLive and Leases first do a linearizable read, so they see every grant and
 * revoke committed before they started.
 */
import { randomInt } from 'node:crypto';
import { KvErrorCode, MAX_LEASE_TTL, type KvFailure } from 'meshraft/kv';
import { EtcdStatusError, GrpcCode } from './etcd-errors.js';
import type { KvClient, KvLeases } from './kv-client.js';

const tooLarge = () => new EtcdStatusError(GrpcCode.OutOfRange, 'etcdserver: too large lease TTL');
const unsupported = () => new EtcdStatusError(GrpcCode.Unimplemented, 'etcdserver: leases are not supported by this member');

/** Server-chosen ids stay below 2^48 (crypto.randomInt's limit), exact in JavaScript numbers. */
const MAX_ID = 2 ** 48 - 1;
/** Attempts at a free random id (a collision among 2^53 is already unlikely). */
const ID_ATTEMPTS = 8;

export interface LeaseTtl {
  readonly id: number;
  readonly revision: number;
  /** Remaining seconds (truncated, as etcd), or -1 for a lease that does not exist. */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys: readonly Uint8Array[];
}

export interface LeaseOps {
  grant(ttl: number, id: number): Promise<{ id: number; ttl: number; revision: number } | KvFailure>;
  revoke(id: number): Promise<{ revision: number } | KvFailure>;
  /** The granted TTL, or 0 for a lease that does not exist (etcd's answer to an unknown id). */
  keepAlive(id: number): Promise<{ ttl: number; revision: number }>;
  timeToLive(id: number, withKeys: boolean): Promise<LeaseTtl>;
  list(): Promise<{ ids: number[]; revision: number }>;
}

export function createLeaseOps(kv: KvClient): LeaseOps {
  const leases = (): KvLeases => {
    if (!kv.leases) throw unsupported();
    return kv.leases;
  };
  /** A linearizable read of nothing: its revision, and a barrier for the lease table. */
  async function barrier(): Promise<number> {
    const r = await kv.read({ type: 'range', key: new Uint8Array([0]), countOnly: true }, { linearizable: true });
    if (!r.ok) throw new EtcdStatusError(GrpcCode.Unknown, r.message);
    return r.revision;
  }

  return {
    async grant(ttl, id) {
      const { minTtl } = leases();
      if (ttl > MAX_LEASE_TTL) throw tooLarge();
      const granted = Math.max(ttl, minTtl);
      if (id !== 0) {
        const r = await kv.propose({ type: 'leaseGrant', id, ttl: granted });
        return r.ok ? { id: r.id, ttl: r.ttl, revision: r.revision } : r;
      }
      let last: KvFailure | undefined;
      for (let i = 0; i < ID_ATTEMPTS; i++) {
        const r = await kv.propose({ type: 'leaseGrant', id: randomInt(1, MAX_ID), ttl: granted });
        if (r.ok) return { id: r.id, ttl: r.ttl, revision: r.revision };
        if (r.code !== KvErrorCode.LeaseExists) return r;
        last = r;
      }
      return last!;
    },
    async revoke(id) {
      leases();
      if (id === 0) throw new EtcdStatusError(GrpcCode.NotFound, 'etcdserver: requested lease not found');
      const r = await kv.propose({ type: 'leaseRevoke', id });
      return r.ok ? { revision: r.revision } : r;
    },
    async keepAlive(id) {
      leases();
      // No lease has id 0 (the state machine refuses it as a command): etcd answers TTL 0.
      if (id === 0) return { ttl: 0, revision: await barrier() };
      const r = await kv.propose({ type: 'leaseKeepAlive', id });
      if (r.ok) return { ttl: r.ttl, revision: r.revision };
      if (r.code === KvErrorCode.LeaseNotFound) return { ttl: 0, revision: r.revision };
      throw new EtcdStatusError(GrpcCode.Unknown, `etcdserver: ${r.message}`);
    },
    async timeToLive(id, withKeys) {
      const l = leases();
      const revision = await barrier();
      const info = l.view.get(id);
      if (!info) return { id, revision, ttl: -1, grantedTtl: 0, keys: [] };
      const left = l.remainingMs(id) ?? info.ttl * 1000;
      return { id, revision, ttl: Math.floor(left / 1000), grantedTtl: info.ttl, keys: withKeys ? l.view.keys(id) : [] };
    },
    async list() {
      const l = leases();
      const revision = await barrier();
      return { ids: l.view.list().map((x) => x.id), revision };
    },
  };
}
