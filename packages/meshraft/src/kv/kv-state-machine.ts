/**
 * @module kv-state-machine
 * The built-in replicated key-value store with etcd's data model: one global `revision` bumped
 * once per command that changes something (a txn is one revision), per-key `version`,
 * `createRevision` and `modRevision`, and txns whose compares are all evaluated before any of
 * their writes. Failed commands are rolled back whole and answered with a KvFailure.
 */
import { EMPTY_BYTES, bytesToBinary } from './bytes.js';
import { compareHolds } from './kv-compare.js';
import { KeyIndex, toBinaryRange } from './key-index.js';
import { parseKvCommand, parseKvQuery } from './kv-command-parser.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import { evaluateRange } from './kv-range.js';
import { DEFAULT_HISTORY_LIMIT_BYTES, MvccHistory, batchOf } from './mvcc-history.js';
import { decodeKvSnapshot, encodeKvSnapshot, kvSnapshotSize, type KvSnapshotState } from './kv-snapshot.js';
import type {
  Compare,
  CompactCommand,
  CompactResult,
  DeleteRangeCommand,
  DeleteRangeResult,
  InvalidCommand,
  KeyValue,
  LeaseCommand,
  LeaseGrantCommand,
  LeaseKeepAliveCommand,
  KvCommand,
  MemberAttrsCommand,
  KvFailure,
  KvQuery,
  KvQueryResult,
  KvResult,
  PutCommand,
  PutResult,
  RangeQuery,
  RangeResult,
  TxnCommand,
  TxnOp,
  TxnOpResult,
  TxnResult,
  WatchBatch,
  WatchListener,
  WatchOptions,
} from './kv-types.js';
import { pack, unpack } from './msgpack.js';
import type { ApplyContext, StateMachine } from './state-machine.js';
import { Watchers, type Change } from './watchers.js';
import { LeaseTable, leaseNotFound, type LeaseEvent, type LeaseView } from './lease-table.js';
import type { LeaseRevokeCommand, LeaseRevokeResult } from './lease-types.js';
import { checkCommand, checkRequest } from './txn-checks.js';
import { AUTH_MESSAGES, AuthStore } from './auth-store.js';
import { applyAuthCommand, appliedCommandError } from './auth-apply.js';
import { decodeAuthState, encodeAuthState } from './auth-codec.js';
import type { AuthCommand } from './auth-types.js';
import { MemberAttrsTable, decodeMemberAttrs, type MemberAttrsView } from './member-attrs.js';

/** etcd's default `--max-txn-ops`. */
export const DEFAULT_MAX_TXN_OPS = 128;

export interface KvStateMachineOptions {
  /** Most compares, success ops or failure ops one txn level may hold. Same on every replica. */
  readonly maxTxnOps?: number;
  /**
   * Bytes of MVCC history (keys and values of past revisions) kept before the oldest revisions
   * are compacted at apply time. Same on every replica. Default 64 MiB.
   */
  readonly historyLimitBytes?: number;
}

/** A watch that starts in the past: its replay, or the compaction that made replay impossible. */
export type WatchReplay =
  | { readonly ok: true; readonly batches: readonly WatchBatch[]; readonly revision: number }
  | { readonly ok: false; readonly compactRevision: number };

export interface KvStateMachine extends StateMachine<KvCommand, KvResult, KvQuery, KvQueryResult> {
  /** The store revision: 1 when empty, +1 per command that changed a key. */
  readonly revision: number;
  /** Number of keys. */
  readonly size: number;
  /** Number of live watch subscriptions (to spot leaks). */
  readonly watchCount: number;
  /** etcd's compact revision: reads and watches below it fail as compacted. */
  readonly compactRevision: number;
  /** Approximate bytes of MVCC history held. */
  readonly historyBytes: number;
  /** `snapshot().byteLength`, counted without encoding (etcd's dbSize, asked by every Status). */
  snapshotSize(): number;
  /** Subscribe to changes of one key or range on this replica; returns the unsubscribe function. */
  watch(options: WatchOptions, listener: WatchListener): () => void;
  /**
   * The recorded revisions >= `startRevision` in the range, for a watch created in the past.
   * Call `watch` in the same tick (apply is synchronous) so nothing falls between the two.
   */
  replay(options: WatchOptions, startRevision: number): WatchReplay;
  /** The replicated auth state, read-only: changed only by applied `auth` commands. */
  readonly auth: AuthView;
  /** This replica's leases, and the events the member's lease keeper follows. */
  readonly leases: LeaseView;
  /** The replicated member attributes (name, peer and client URLs), read-only. */
  readonly members: MemberAttrsView;
}

/** What readers may ask the auth store (its checks), without the means to change it. */
export type AuthView = Pick<AuthStore, 'enabled' | 'revision' | 'enabledAt' | 'user' | 'role' | 'adminError' | 'rangeError' | 'requestError'>;

/** State of one command while it runs: the revision its writes get and the changes made. */
interface Execution {
  readonly readRevision: number;
  readonly writeRevision: number;
  readonly changes: Change[];
  /** Each txn's branch, decided on the state before the command's first write. */
  readonly paths: Map<TxnCommand, boolean>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function failure(code: KvFailure['code'], message: string, revision: number): KvFailure {
  return { type: 'error', ok: false, revision, code, message };
}

function tombstone(kv: KeyValue, revision: number): KeyValue {
  return { key: kv.key, value: EMPTY_BYTES, createRevision: 0, modRevision: revision, version: 0, lease: 0 };
}

export function createKvStateMachine(options: KvStateMachineOptions = {}): KvStateMachine {
  const maxTxnOps = options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
  const index = new KeyIndex();
  const watchers = new Watchers();
  const history = new MvccHistory(options.historyLimitBytes ?? DEFAULT_HISTORY_LIMIT_BYTES);
  const leases = new LeaseTable();
  const leaseListeners = new Set<(e: LeaseEvent) => void>();
  const emitLease = (e: LeaseEvent) => {
    for (const l of leaseListeners) l(e);
  };
  let revision = 1;
  const auth = new AuthStore();
  const members = new MemberAttrsTable();
  // Commands this instance decoded are already parsed; apply skips parsing them again.
  const decoded = new WeakSet<object>();

  function evalCompare(c: Compare): boolean {
    return compareHolds([...index.range(toBinaryRange(c))], c);
  }

  function decidePaths(txn: TxnCommand, paths: Map<TxnCommand, boolean>): void {
    const ok = txn.compare.every(evalCompare);
    paths.set(txn, ok);
    for (const op of ok ? txn.success : txn.failure) if (op.type === 'txn') decidePaths(op, paths);
  }

  function runPut(cmd: PutCommand, ex: Execution): PutResult {
    const prev = index.get(cmd.key);
    if ((cmd.ignoreValue || cmd.ignoreLease) && prev === undefined) {
      throw new KvError(KvErrorCode.KeyNotFound, 'key not found');
    }
    if (!cmd.ignoreLease && cmd.lease && !leases.has(cmd.lease)) throw leaseNotFound();
    const kv: KeyValue = {
      key: cmd.key,
      value: cmd.ignoreValue && prev ? prev.value : cmd.value,
      createRevision: prev ? prev.createRevision : ex.writeRevision,
      modRevision: ex.writeRevision,
      version: prev ? prev.version + 1 : 1,
      lease: cmd.ignoreLease && prev ? prev.lease : (cmd.lease ?? 0),
    };
    index.set(kv);
    ex.changes.push({
      binaryKey: bytesToBinary(kv.key),
      event: prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv },
    });
    const result: Mutable<PutResult> = { type: 'put', ok: true, revision: 0 };
    if (cmd.prevKv && prev) result.prevKv = prev;
    return result;
  }

  function runDeleteRange(cmd: DeleteRangeCommand, ex: Execution): DeleteRangeResult {
    const doomed = [...index.range(toBinaryRange(cmd))];
    for (const prev of doomed) {
      const binaryKey = bytesToBinary(prev.key);
      index.delete(binaryKey);
      ex.changes.push({ binaryKey, event: { type: 'delete', kv: tombstone(prev, ex.writeRevision), prevKv: prev } });
    }
    const result: Mutable<DeleteRangeResult> = { type: 'deleteRange', ok: true, revision: 0, deleted: doomed.length };
    if (cmd.prevKv) result.prevKvs = doomed;
    return result;
  }

  /** etcd's revoke: the lease's keys are deleted in one revision. */
  function runRevoke(cmd: LeaseRevokeCommand, ex: Execution): LeaseRevokeResult {
    const doomed = leases.keys(cmd.id);
    for (const binaryKey of doomed) {
      const prev = index.get(binaryKey);
      if (!prev) continue;
      index.delete(binaryKey);
      ex.changes.push({ binaryKey, event: { type: 'delete', kv: tombstone(prev, ex.writeRevision), prevKv: prev } });
    }
    return { type: 'leaseRevoke', ok: true, revision: 0, revoked: true, deleted: doomed.length };
  }

  /** Grants and keep-alives change no key, so the revision stays. */
  function runLease(cmd: Exclude<LeaseCommand, LeaseRevokeCommand>): KvResult {
    const info = cmd.type === 'leaseGrant' ? leases.grant(cmd.id, cmd.ttl) : leases.refresh(cmd.id);
    emitLease({ type: 'refresh', lease: info });
    return { type: cmd.type, ok: true, revision, id: info.id, ttl: info.ttl };
  }

  /** Keep each lease's key set in step with the keys' `lease` fields. */
  function trackAttachments(changes: readonly Change[]): void {
    for (const { binaryKey, event } of changes) {
      leases.move(binaryKey, event.prevKv?.lease ?? 0, event.type === 'put' ? event.kv.lease : 0);
    }
  }

  function runRange(q: RangeQuery, readRevision: number): RangeResult {
    const at = q.revision ?? 0;
    history.check(at, readRevision);
    const source = at === 0 || at === readRevision ? index : history.indexAt(index, toBinaryRange(q), at);
    return { type: 'range', ok: true, revision: readRevision, ...evaluateRange(source, q) };
  }

  function runCompact(cmd: CompactCommand): CompactResult {
    // etcd refuses to compact at or below its last compaction, or past the current revision. A
    // store never compacted past 1 has compacted nothing (etcd's point starts at -1), so Compact 0
    // and 1 succeed there, changing nothing (etcd refuses a repeat of each; docs/etcd.md).
    const point = history.compactRevision;
    if (point > 1 ? cmd.revision <= point : cmd.revision < 0) {
      throw new KvError(KvErrorCode.Compacted, `revision ${cmd.revision} has been compacted`);
    }
    if (cmd.revision > revision) throw new KvError(KvErrorCode.FutureRevision, `revision ${cmd.revision} is a future revision`);
    history.compact(cmd.revision);
    return { type: 'compact', ok: true, revision };
  }

  function runTxn(txn: TxnCommand, ex: Execution): TxnResult {
    const succeeded = ex.paths.get(txn) === true;
    const responses = (succeeded ? txn.success : txn.failure).map((op) => runOp(op, ex));
    return { type: 'txn', ok: true, revision: 0, succeeded, responses };
  }

  function runOp(op: TxnOp, ex: Execution): TxnOpResult {
    switch (op.type) {
      case 'put':
        return runPut(op, ex);
      case 'deleteRange':
        return runDeleteRange(op, ex);
      case 'range':
        return runRange(op, ex.readRevision);
      case 'txn':
        return runTxn(op, ex);
    }
  }

  /** Results are built before we know whether the command changed anything; stamp them after. */
  function stamp(result: Mutable<TxnOpResult | LeaseRevokeResult>, rev: number): void {
    result.revision = rev;
    if (result.type === 'txn') for (const r of result.responses) stamp(r, rev);
  }

  /** The keys attached to a lease, as bytes. */
  const leaseKeys = (id: number): Uint8Array[] => leases.keys(id).map((k) => index.get(k)?.key ?? EMPTY_BYTES);

  function apply(command: KvCommand, _ctx: ApplyContext): KvResult {
    let cmd: Exclude<KvCommand, InvalidCommand | CompactCommand | LeaseGrantCommand | LeaseKeepAliveCommand | AuthCommand | MemberAttrsCommand>;
    try {
      const parsed = decoded.has(command) ? command : parseKvCommand(command);
      if (parsed.type === 'invalid') return failure(KvErrorCode.InvalidCommand, parsed.reason, revision);
      if (parsed.type === 'auth') return applyAuthCommand(auth, parsed, revision);
      // Proposed by members themselves and by the etcd layer's root-only MemberUpdate; no key changes.
      if (parsed.type === 'memberAttrs') {
        members.apply(parsed);
        return { type: 'memberAttrs', ok: true, revision };
      }
      checkCommand(parsed, maxTxnOps);
      if (parsed.type === 'compact') return runCompact(parsed);
      const denied = appliedCommandError(auth, parsed, leaseKeys);
      if (denied) return failure(denied, AUTH_MESSAGES[denied], revision);
      if (parsed.type === 'leaseGrant' || parsed.type === 'leaseKeepAlive') return runLease(parsed);
      if (parsed.type === 'leaseRevoke') {
        const lease = leases.get(parsed.id);
        if (!lease) throw leaseNotFound();
        if (parsed.refreshes !== undefined && parsed.refreshes !== lease.refreshes) {
          return { type: 'leaseRevoke', ok: true, revision, revoked: false, deleted: 0 };
        }
      }
      cmd = parsed;
    } catch (err) {
      return toFailure(err);
    }

    const ex: Execution = { readRevision: revision, writeRevision: revision + 1, changes: [], paths: new Map() };
    let result: TxnOpResult | LeaseRevokeResult;
    index.begin();
    try {
      if (cmd.type === 'txn') decidePaths(cmd, ex.paths);
      result = cmd.type === 'leaseRevoke' ? runRevoke(cmd, ex) : runOp(cmd, ex);
    } catch (err) {
      index.rollback();
      return toFailure(err);
    }
    index.commit();
    trackAttachments(ex.changes);
    if (cmd.type === 'leaseRevoke') {
      leases.remove(cmd.id);
      emitLease({ type: 'revoke', id: cmd.id });
    }
    if (ex.changes.length > 0) {
      revision = ex.writeRevision;
      history.record(revision, ex.changes);
    }
    stamp(result, revision);
    watchers.emit(revision, ex.changes);
    return result as KvResult;
  }

  function toFailure(err: unknown): KvFailure {
    if (err instanceof KvError) return failure(err.code, err.message, revision);
    // Anything else came from the command's content, so every replica fails the same way.
    return failure(KvErrorCode.InvalidCommand, err instanceof Error ? err.message : String(err), revision);
  }

  function query(q: KvQuery): KvQueryResult {
    try {
      const parsed = parseKvQuery(q);
      checkRequest(parsed, maxTxnOps);
      return runRange(parsed, revision);
    } catch (err) {
      return toFailure(err);
    }
  }

  function snapshotState(): KvSnapshotState {
    const table = members.encode();
    return {
      revision,
      kvs: [...index.entries()].map(([, kv]) => kv),
      compactRevision: history.compactRevision,
      history: history.all(),
      leases: leases.list(),
      // Absent while auth was never used, so such snapshots keep their old bytes.
      ...(!auth.pristine && { auth: encodeAuthState(auth.state()) }),
      ...(table !== undefined && { members: table }),
    };
  }

  function restore(data: Uint8Array): void {
    const next = decodeKvSnapshot(data);
    const nextAuth = next.auth === undefined ? new AuthStore().state() : decodeAuthState(next.auth);
    const nextMembers = decodeMemberAttrs(next.members);
    history.load(next.compactRevision, next.history);
    auth.load(nextAuth);
    members.load(nextMembers);
    leases.load(next.leases, next.kvs.map((kv) => [bytesToBinary(kv.key), kv.lease] as const));
    emitLease({ type: 'reset', leases: leases.list() });
    if (watchers.size === 0) {
      index.load(next.kvs);
      revision = next.revision;
      return;
    }
    const before = new Map(index.entries());
    index.load(next.kvs);
    revision = next.revision;
    // Tell watchers what the snapshot changed, as if it were one big command.
    const changes: Change[] = [];
    for (const [k, kv] of index.entries()) {
      const prev = before.get(k);
      if (prev === undefined || prev.modRevision !== kv.modRevision || prev.createRevision !== kv.createRevision) {
        changes.push({ binaryKey: k, event: prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv } });
      }
      before.delete(k);
    }
    for (const [k, prev] of before) {
      changes.push({ binaryKey: k, event: { type: 'delete', kv: tombstone(prev, revision), prevKv: prev } });
    }
    // Puts came out in key order; only the deletes appended after them need merging in.
    if (before.size > 0) changes.sort((a, b) => (a.binaryKey < b.binaryKey ? -1 : a.binaryKey > b.binaryKey ? 1 : 0));
    watchers.emit(revision, changes, true);
  }

  return {
    get revision() {
      return revision;
    },
    get size() {
      return index.size;
    },
    get watchCount() {
      return watchers.size;
    },
    get compactRevision() {
      return history.compactRevision;
    },
    get historyBytes() {
      return history.sizeBytes;
    },
    apply,
    query,
    snapshot: () => encodeKvSnapshot(snapshotState()),
    snapshotSize: () => kvSnapshotSize(snapshotState()),
    restore,
    encodeCommand: (command) => pack(command),
    decodeCommand(data: Uint8Array): KvCommand {
      try {
        const command = parseKvCommand(unpack(data));
        decoded.add(command);
        return command;
      } catch (err) {
        return { type: 'invalid', reason: err instanceof Error ? err.message : 'undecodable command' };
      }
    },
    auth,
    members,
    watch: (options, listener) => watchers.add(options, listener),
    leases: {
      get: (id) => leases.get(id),
      list: () => leases.list(),
      keys: leaseKeys,
      subscribe(listener) {
        leaseListeners.add(listener);
        return () => leaseListeners.delete(listener);
      },
    },
    replay(options, startRevision) {
      if (startRevision < history.compactRevision) return { ok: false, compactRevision: history.compactRevision };
      const range = toBinaryRange(options);
      const batches: WatchBatch[] = [];
      for (const r of history.since(startRevision)) {
        const b = batchOf(r, range, options.prevKv === true);
        if (b) batches.push(b);
      }
      return { ok: true, batches, revision };
    },
  };
}
