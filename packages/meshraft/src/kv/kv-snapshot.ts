/**
 * @module kv-snapshot
 * Snapshot bytes of the KV store, msgpack of
 * `[2, revision, compactRevision, keys, history]`: `keys` holds six fields per key in byte order,
 * `history` one `[revision, events]` per recorded revision, each event `[isDelete, kv, prevKv|null]`
 * with kvs as six-field arrays, then optionally the auth state (auth-codec). Equal states give byte-identical snapshots. Format 1
 * (`[1, revision, ...keys]`, no history) is still read.
 */
import { bytesToBinary } from './bytes.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import type { Revision } from './mvcc-history.js';
import type { KeyValue, WatchEvent } from './kv-types.js';
import { pack, unpack } from './msgpack.js';

const FORMAT = 2;
const FIELDS = 6;

export interface KvSnapshotState {
  readonly revision: number;
  readonly kvs: Iterable<KeyValue>;
  readonly compactRevision: number;
  readonly history: readonly Revision[];
  /** The auth store's encoded state, when it holds any. */
  readonly auth?: unknown;
}

export interface DecodedKvSnapshot {
  readonly revision: number;
  readonly kvs: KeyValue[];
  readonly compactRevision: number;
  readonly history: Revision[];
  readonly auth?: unknown;
}

const flatKv = (kv: KeyValue): unknown[] => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease];

export function encodeKvSnapshot(state: KvSnapshotState): Uint8Array {
  const keys: unknown[] = [];
  for (const kv of state.kvs) keys.push(...flatKv(kv));
  const history = state.history.map((r) => [
    r.revision,
    r.changes.map((c) => [c.event.type === 'delete', flatKv(c.event.kv), c.event.prevKv ? flatKv(c.event.prevKv) : null]),
  ]);
  const fields = [FORMAT, state.revision, state.compactRevision, keys, history];
  return pack(state.auth === undefined ? fields : [...fields, state.auth]);
}

function bad(why: string, cause?: unknown): KvError {
  return new KvError(KvErrorCode.InvalidSnapshot, `not a KV snapshot: ${why}`, { cause });
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function readKv(flat: readonly unknown[], i: number, what: string, allowEmptyKey = false): KeyValue {
  const [key, value, createRevision, modRevision, version, lease] = flat.slice(i, i + FIELDS) as unknown[];
  if (
    !(key instanceof Uint8Array) ||
    (key.length === 0 && !allowEmptyKey) ||
    !(value instanceof Uint8Array) ||
    !isCount(createRevision) ||
    !isCount(modRevision) ||
    !isCount(version) ||
    !isCount(lease)
  ) {
    throw bad(`bad ${what}`);
  }
  return { key, value, createRevision, modRevision, version, lease };
}

function readKeys(flat: readonly unknown[], from: number): KeyValue[] {
  if ((flat.length - from) % FIELDS !== 0) throw bad('truncated key list');
  const kvs: KeyValue[] = [];
  for (let i = from; i < flat.length; i += FIELDS) kvs.push(readKv(flat, i, `key entry ${(i - from) / FIELDS}`));
  return kvs;
}

function readHistory(x: unknown): Revision[] {
  if (!Array.isArray(x)) throw bad('bad history');
  return x.map((r: unknown, n) => {
    if (!Array.isArray(r) || !isCount(r[0]) || !Array.isArray(r[1])) throw bad(`bad history entry ${n}`);
    const changes = (r[1] as unknown[]).map((e) => {
      if (!Array.isArray(e) || typeof e[0] !== 'boolean' || !Array.isArray(e[1]) || !(e[2] === null || Array.isArray(e[2]))) {
        throw bad(`bad event in history entry ${n}`);
      }
      const kv = readKv(e[1] as unknown[], 0, 'event key');
      const prevKv = e[2] === null ? undefined : readKv(e[2] as unknown[], 0, 'event prev key');
      const event: WatchEvent = prevKv ? { type: e[0] ? 'delete' : 'put', kv, prevKv } : { type: e[0] ? 'delete' : 'put', kv };
      return { binaryKey: bytesToBinary(kv.key), event };
    });
    return { revision: r[0], changes };
  });
}

export function decodeKvSnapshot(data: Uint8Array): DecodedKvSnapshot {
  let flat: unknown;
  try {
    // One private copy of the whole snapshot; the restored keys and values are views into it.
    flat = unpack(new Uint8Array(data));
  } catch (err) {
    throw bad('undecodable bytes', err);
  }
  if (!Array.isArray(flat) || (flat[0] !== FORMAT && flat[0] !== 1)) throw bad('unknown format');
  const revision: unknown = flat[1];
  if (!isCount(revision) || revision < 1) throw bad('bad revision');
  if (flat[0] === 1) return { revision, kvs: readKeys(flat, 2), compactRevision: revision, history: [] };
  if (flat.length !== 5 && flat.length !== 6) throw bad('wrong number of fields');
  const compactRevision: unknown = flat[2];
  if (!isCount(compactRevision) || compactRevision < 1 || compactRevision > revision) throw bad('bad compact revision');
  if (!Array.isArray(flat[3])) throw bad('bad key list');
  const base = { revision, kvs: readKeys(flat[3] as unknown[], 0), compactRevision, history: readHistory(flat[4]) };
  return flat.length === 6 ? { ...base, auth: flat[5] } : base;
}
