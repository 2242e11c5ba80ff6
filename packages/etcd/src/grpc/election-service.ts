/**
 * @module grpc/election-service
 * etcd's v3election service (Campaign, Proclaim, Leader, Observe, Resign), served as etcd's
 * server serves it: Go's concurrency Election run inside the member. A campaigner's key is
 * `<name>/<lease hex>` holding its value; the leader is the key with the lowest create revision,
 * and a campaign returns once every key created before its own is gone. Proclaim and Resign act
 * only while the key still has the create revision in the LeaderKey.
 */
import { status as Status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { prefixRangeEnd, type KeyValue, type KvFailure } from 'meshraft/kv';
import { EtcdStatusError } from '../etcd-errors.js';
import type { KvClient } from '../kv-client.js';
import { callSignal, createConcurrencyKeys, failureError, keyPrefix, ownedBy, recipeError, unaryWithSignal, waiterKey } from './concurrency-keys.js';
import { bytes, header, int, kvMsg, type Msg } from './messages.js';

/** etcd's v3election.ErrMissingLeaderKey and concurrency's election errors (gRPC Unknown, as etcd sends them). */
const missingLeader = () => new EtcdStatusError(Status.UNKNOWN, '"leader" field must be provided');
const notLeader = () => new EtcdStatusError(Status.UNKNOWN, 'election: not leader');
const noLeader = () => new EtcdStatusError(Status.UNKNOWN, 'election: no leader');

interface LeaderKey {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  readonly rev: number;
  readonly lease: number;
}

function leaderKey(req: Msg): LeaderKey {
  const l = req.leader as Msg | null | undefined;
  if (!l) throw missingLeader();
  return { name: bytes(l, 'name'), key: bytes(l, 'key'), rev: int(l, 'rev'), lease: int(l, 'lease') };
}

export function createElectionService(kv: KvClient): UntypedServiceImplementation {
  const keys = createConcurrencyKeys(kv);
  const h = (revision: number) => header(kv.identity(), revision);

  /** Put a new value on the key while it is still the one created at `rev`. */
  async function proclaim(key: Uint8Array, rev: number, lease: number, value: Uint8Array): Promise<number | KvFailure> {
    const r = await kv.propose({ type: 'txn', compare: [ownedBy(key, rev)], success: [{ type: 'put', key, value, lease }], failure: [] });
    if (!r.ok) return r;
    if (!r.succeeded) throw notLeader();
    return r.revision;
  }

  /** Delete the key if it is still the one created at `rev`; not owning it is no error. */
  async function resign(key: Uint8Array, rev: number): Promise<number | KvFailure> {
    const r = await kv.propose({ type: 'txn', compare: [ownedBy(key, rev)], success: [{ type: 'deleteRange', key }], failure: [] });
    return r.ok ? r.revision : r;
  }

  async function campaign(req: Msg, signal: AbortSignal): Promise<Msg | KvFailure> {
    const lease = await keys.sessionLease(int(req, 'lease'));
    if (typeof lease !== 'number') return lease;
    const name = bytes(req, 'name');
    const value = bytes(req, 'value');
    const prefix = keyPrefix(name);
    const key = waiterKey(prefix, lease);
    const r = await kv.propose({
      type: 'txn',
      compare: [{ key, target: 'createRevision', result: 'equal', createRevision: 0 }],
      success: [{ type: 'put', key, value, lease }],
      failure: [{ type: 'range', key }],
    });
    if (!r.ok) return r;
    let rev = r.revision;
    const existing = r.responses[0];
    if (!r.succeeded && existing?.type === 'range' && existing.kvs[0]) {
      // This lease campaigns already: keep its place in the queue, with the new value.
      const kvNow = existing.kvs[0];
      rev = kvNow.createRevision;
      if (Buffer.compare(kvNow.value, value) !== 0) {
        const p = await proclaim(key, rev, lease, value).catch(async (err: unknown) => {
          await resign(key, rev).catch(() => undefined);
          throw err;
        });
        if (typeof p !== 'number') return p;
      }
    }
    try {
      await keys.waitDeletes(prefix, rev - 1, signal);
    } catch (err) {
      // As Go's Campaign: a cancelled campaign withdraws its key; other failures leave it.
      if (signal.aborted) await resign(key, rev).catch(() => undefined);
      throw err;
    }
    return { header: h(r.revision), leader: { name, key, rev: String(rev), lease: String(lease) } };
  }

  /** Leader responses as Go's Election.Observe makes them, until the call ends. */
  async function observe(call: ServerWritableStream<Msg, Msg>): Promise<void> {
    const signal = callSignal(call);
    const prefix = keyPrefix(bytes(call.request, 'name'));
    const send = async (revision: number, kvNow: KeyValue) => {
      if (call.write({ header: h(revision), kv: kvMsg(kvNow) })) return;
      // A slow reader: wait for it, but not past the call's end (no 'drain' comes then).
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const done = () => {
          call.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        call.once('drain', done);
        signal.addEventListener('abort', done);
      });
    };
    while (!signal.aborted) {
      const r = await keys.firstCreated(prefix);
      // As etcd: a failed read ends the stream (with OK); the client observes again.
      if (!r.ok) return;
      let leader = r.kvs[0];
      let revision = r.revision;
      if (!leader) {
        // No leader yet: the first put under the prefix is the next one.
        for await (const batch of keys.watchBatches(prefix, prefixRangeEnd(prefix), r.revision, signal)) {
          const put = batch.events.find((e) => e.type === 'put');
          if (put) {
            leader = put.kv;
            revision = put.kv.modRevision;
            break;
          }
        }
        if (!leader) continue; // history compacted under us: read afresh
      }
      await send(revision, leader);
      // Every new value of that key, until it is deleted; then the next leader.
      watch: for await (const batch of keys.watchBatches(leader.key, undefined, revision + 1, signal)) {
        for (const e of batch.events) {
          if (e.type === 'delete') break watch;
          await send(batch.revision, e.kv);
        }
      }
    }
  }

  return {
    Campaign: unaryWithSignal(campaign),
    Proclaim: unaryWithSignal(async (req) => {
      const l = leaderKey(req);
      const lease = await keys.sessionLease(l.lease);
      if (typeof lease !== 'number') return lease;
      const r = await proclaim(l.key, l.rev, lease, bytes(req, 'value'));
      return typeof r === 'number' ? { header: h(r) } : r;
    }),
    Leader: unaryWithSignal(async (req) => {
      const r = await keys.firstCreated(keyPrefix(bytes(req, 'name')));
      if (!r.ok) return r;
      const first = r.kvs[0];
      if (!first) throw noLeader();
      return { header: h(r.revision), kv: kvMsg(first) };
    }),
    Observe(call: ServerWritableStream<Msg, Msg>) {
      observe(call).then(
        () => call.end(),
        (err: unknown) => {
          // A cancelled call has no one to tell; anything else ends the stream with etcd's status.
          if (call.cancelled) return;
          const s = recipeError(err);
          call.destroy(Object.assign(new Error(s.details), s));
        },
      );
    },
    Resign: unaryWithSignal(async (req) => {
      const l = leaderKey(req);
      const lease = await keys.sessionLease(l.lease);
      if (typeof lease !== 'number') return lease;
      const r = await resign(l.key, l.rev);
      return typeof r === 'number' ? { header: h(r) } : r;
    }),
  };
}
