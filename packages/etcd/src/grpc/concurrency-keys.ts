/**
 * @module grpc/concurrency-keys
 * The key recipes that etcd's v3lock and v3election servers borrow from Go's
 * `client/v3/concurrency` package, here run inside the member over its KvClient: the session
 * lease, the waiter key `<prefix><lease id in hex>`, the first-created key of a prefix, and
 * waiting until every key created before a revision is gone. Locks and elections keep the same
 * keys as Go's package and etcdctl, so both kinds of client queue together.
 */
import { status as Status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { bytesEqual, prefixRangeEnd, type KvFailure, type RangeResult, type WatchBatch } from 'meshraft/kv';
import { EtcdStatusError, grpcStatus } from '../etcd-errors.js';
import type { KvClient } from '../kv-client.js';
import { createLeaseOps } from '../lease-ops.js';
import { openWatch } from '../watch-source.js';
import { serviceError } from './kv-services.js';
import type { Msg } from './messages.js';

/** Go's concurrency.defaultSessionTTL: a request with lease 0 gets a fresh lease of this TTL. */
const DEFAULT_SESSION_TTL = 60;

const SLASH = new Uint8Array([0x2f]);

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `name/`, the prefix holding a lock's or election's waiter keys. */
export const keyPrefix = (name: Uint8Array): Uint8Array => concatBytes(name, SLASH);

/** `<prefix><lease id as %x>`, as Go's concurrency package names a session's key. */
export const waiterKey = (prefix: Uint8Array, lease: number): Uint8Array => concatBytes(prefix, new TextEncoder().encode(lease.toString(16)));

/** A gRPC call's cancellation (client gone or server shutting down) as an AbortSignal. */
export function callSignal(call: ServerUnaryCall<Msg, Msg> | ServerWritableStream<Msg, Msg>): AbortSignal {
  const ac = new AbortController();
  if (call.cancelled) ac.abort();
  else call.once('cancelled', () => ac.abort());
  return ac.signal;
}

/**
 * How etcd's lock and election servers fail: they call etcd through an in-process client, whose
 * errors reach the caller as gRPC Unknown with etcd's message ("etcdserver: requested lease not
 * found" is code 2 here, not 5 as from the Lease service).
 */
export function recipeError(err: unknown): { code: number; details: string } {
  return { code: Status.UNKNOWN, details: serviceError(err).details };
}

/** A unary handler that also gets the call's cancellation; failures as `recipeError`. */
export function unaryWithSignal(fn: (req: Msg, signal: AbortSignal) => Promise<Msg | KvFailure>) {
  return (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
    const signal = callSignal(call);
    Promise.resolve()
      .then(() => fn(call.request, signal))
      .then(
        (out) => (out.ok === false ? callback(recipeError(out)) : callback(null, out as Msg)),
        (err: unknown) => callback(recipeError(err)),
      );
  };
}

/** What a request waiting on a cancelled call fails with (Go's context.Canceled). */
const canceled = () => new EtcdStatusError(Status.CANCELLED, 'context canceled');

/** A KV failure met halfway through a recipe, as the error etcd would answer with. */
export function failureError(f: KvFailure): EtcdStatusError {
  const s = grpcStatus(f);
  return new EtcdStatusError(s.code, s.message);
}

export function createConcurrencyKeys(kv: KvClient) {
  const leases = createLeaseOps(kv);

  /**
   * The session's lease, as Go's NewSession(WithLease(id)) settles it: the given id unchecked
   * (a put on a missing lease fails later with etcd's error), or for 0 a new 60 s lease that
   * nobody keeps alive, since the servers orphan their sessions.
   */
  async function sessionLease(lease: number): Promise<number | KvFailure> {
    if (lease !== 0) return lease;
    const r = await leases.grant(DEFAULT_SESSION_TTL, 0);
    return 'id' in r ? r.id : r;
  }

  /** The key of `prefix` with the lowest create revision (Go's WithFirstCreate), linearizable. */
  async function firstCreated(prefix: Uint8Array): Promise<RangeResult | KvFailure> {
    return kv.read({ type: 'range', key: prefix, rangeEnd: prefixRangeEnd(prefix), sortTarget: 'create', sortOrder: 'ascend', limit: 1 }, { linearizable: true });
  }

  /**
   * Resolves once no key under `prefix` has a create revision <= `maxCreateRevision` (Go's
   * waitDeletes): read the last-created such key, wait for its delete, read again. A key once
   * deleted cannot come back with an old create revision, so the condition, once true, stays.
   */
  async function waitDeletes(prefix: Uint8Array, maxCreateRevision: number, signal: AbortSignal): Promise<number> {
    for (;;) {
      if (signal.aborted) throw canceled();
      const r = await kv.read(
        { type: 'range', key: prefix, rangeEnd: prefixRangeEnd(prefix), maxCreateRevision: Math.max(1, maxCreateRevision), sortTarget: 'create', sortOrder: 'descend', limit: 1, keysOnly: true },
        { linearizable: true },
      );
      if (!r.ok) throw failureError(r);
      // maxCreateRevision 0 would mean "no bound" to the store; nothing is created at revision <= 0.
      const last = maxCreateRevision < 1 ? undefined : r.kvs[0];
      if (!last) return r.revision;
      await waitDelete(last.key, r.revision + 1, signal);
    }
  }

  /** Resolves at the first delete of `key` from `fromRevision` on (or when that history is compacted). */
  async function waitDelete(key: Uint8Array, fromRevision: number, signal: AbortSignal): Promise<void> {
    for await (const batch of watchBatches(key, undefined, fromRevision, signal)) {
      if (batch.events.some((e) => e.type === 'delete' && bytesEqual(e.kv.key, key))) return;
    }
  }

  /**
   * The watch batches of `[key, rangeEnd)` from `fromRevision` on, until `signal` aborts (then it
   * throws) or the history from there is compacted (then it ends: callers read afresh).
   */
  async function* watchBatches(key: Uint8Array, rangeEnd: Uint8Array | undefined, fromRevision: number, signal: AbortSignal): AsyncGenerator<WatchBatch> {
    const opened = openWatch(kv, { key, ...(rangeEnd && { rangeEnd }), startRevision: fromRevision, prevKv: false });
    if (opened === null) throw new EtcdStatusError(Status.UNIMPLEMENTED, 'etcdserver: watch is not supported by this member');
    if (!opened.ok) return;
    const queue: WatchBatch[] = [];
    let wake: (() => void) | undefined;
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    opened.start((b) => {
      queue.push(b);
      wake?.();
    });
    try {
      for (;;) {
        if (signal.aborted) throw canceled();
        const next = queue.shift();
        if (next) yield next;
        else await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      opened.cancel();
    }
  }

  return { sessionLease, firstCreated, waitDeletes, watchBatches };
}

/** The created-revision guard both services use to act only on a key they still own. */
export function ownedBy(key: Uint8Array, createRevision: number) {
  return { key, target: 'createRevision' as const, result: 'equal' as const, createRevision };
}
