/**
 * @module grpc/lock-service
 * etcd's v3lock service (Lock, Unlock), served as etcd's server serves it: Go's concurrency
 * Mutex run inside the member. Lock puts `<name>/<lease hex>` with the caller's lease (if the key
 * is not there yet), then waits until every key of `<name>/` created before it is deleted; the
 * waiter with the lowest create revision holds the lock, so waiters are served in revision
 * order. Unlock deletes the key. The lock ends when its key goes, by Unlock or the lease's
 * expiry or revoke; guard writes with a txn comparing the key's create revision.
 */
import { status as Status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvFailure, TxnOp } from 'meshraft/kv';
import { prefixRangeEnd } from 'meshraft/kv';
import { EtcdStatusError } from '../etcd-errors.js';
import type { KvClient } from '../kv-client.js';
import { createConcurrencyKeys, failureError, keyPrefix, unaryWithSignal, waiterKey } from './concurrency-keys.js';
import { bytes, header, int, type Msg } from './messages.js';

/** Go's concurrency.ErrSessionExpired: the waiter's key vanished (its lease ended) while it waited. */
const sessionExpired = () => new EtcdStatusError(Status.UNKNOWN, 'mutex: session is expired');

export function createLockService(kv: KvClient): UntypedServiceImplementation {
  const keys = createConcurrencyKeys(kv);
  const h = (revision: number) => header(kv.identity(), revision);
  /** Best effort, as Go's Mutex.Unlock after a failed wait: a leftover key would block the queue until its lease ends. */
  const release = (key: Uint8Array) => kv.propose({ type: 'deleteRange', key }).catch(() => undefined);

  async function lock(req: Msg, signal: AbortSignal): Promise<Msg | KvFailure> {
    const lease = await keys.sessionLease(int(req, 'lease'));
    if (typeof lease !== 'number') return lease;
    const prefix = keyPrefix(bytes(req, 'name'));
    const key = waiterKey(prefix, lease);
    const owner: TxnOp = { type: 'range', key: prefix, rangeEnd: prefixRangeEnd(prefix), sortTarget: 'create', sortOrder: 'ascend', limit: 1 };
    // Join the queue, or find the key this lease already holds (locking twice with one lease is one acquisition).
    const r = await kv.propose({
      type: 'txn',
      compare: [{ key, target: 'createRevision', result: 'equal', createRevision: 0 }],
      success: [{ type: 'put', key, value: new Uint8Array(0), lease }, owner],
      failure: [{ type: 'range', key }, owner],
    });
    if (!r.ok) return r;
    const mine = r.responses[0]!;
    const myRevision = r.succeeded ? r.revision : mine.type === 'range' ? (mine.kvs[0]?.createRevision ?? 0) : 0;
    const first = r.responses[1]!;
    const holder = first.type === 'range' ? first.kvs[0] : undefined;
    if (!holder || holder.createRevision === myRevision) return { header: h(r.revision), key };
    let expired = false;
    try {
      await keys.waitDeletes(prefix, myRevision - 1, signal);
      // Every earlier waiter is gone; the lock is ours if our key survived the wait.
      const g = await kv.read({ type: 'range', key }, { linearizable: true });
      if (!g.ok) throw failureError(g);
      expired = g.kvs.length === 0;
      if (expired) throw sessionExpired();
      return { header: h(g.revision), key };
    } catch (err) {
      if (!expired) await release(key);
      throw err;
    }
  }

  return {
    Lock: unaryWithSignal(lock),
    Unlock: unaryWithSignal(async (req) => {
      const r = await kv.propose({ type: 'deleteRange', key: bytes(req, 'key') });
      return r.ok ? { header: h(r.revision) } : r;
    }),
  };
}
