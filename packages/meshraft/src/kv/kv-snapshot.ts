/**
 * @module kv-snapshot
 * Snapshot bytes of the KV store, msgpack of
 * `[3, revision, compactRevision, keys, history, leases]`: `keys` holds six fields per key in byte
 * order, `history` one `[revision, events]` per recorded revision, each event
 * `[isDelete, kv, prevKv|null]` with kvs as six-field arrays, `leases` three fields
 * (id, ttl, refreshes) per lease in id order, then optionally the auth state (auth-codec, absent while
 * auth was never used), then optionally the member-attributes table (member-attrs; absent while
 * empty, with auth null before it when auth is absent). Equal states give byte-identical snapshots. Formats
 * 2 (no leases) and 1 (`[1, revision, ...keys]`, no history) are still read.
 */
import { bytesToBinary } from './bytes.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import type { Revision } from './mvcc-history.js';
import type { KeyValue, WatchEvent } from './kv-types.js';
import type { LeaseInfo } from './lease-table.js';
import { pack, unpack } from './msgpack.js';
import { MsgpackSizer, writeMsgpack, type MsgpackOut } from './msgpack-writer.js';

const FORMAT = 3;
const FIELDS = 6;

export interface KvSnapshotState {
  readonly revision: number;
  readonly kvs: Iterable<KeyValue>;
  readonly compactRevision: number;
  readonly history: readonly Revision[];
  readonly leases: readonly LeaseInfo[];
  /** The auth store's encoded state, when it holds any. */
  readonly auth?: unknown;
  /** The member-attributes table's encoded form, when it holds any. */
  readonly members?: unknown;
}

export interface DecodedKvSnapshot {
  readonly revision: number;
  readonly kvs: KeyValue[];
  readonly compactRevision: number;
  readonly history: Revision[];
  readonly leases: LeaseInfo[];
  readonly auth?: unknown;
  readonly members?: unknown;
}

/** A key's six fields, in order: key, value, createRevision, modRevision, version, lease. */
function writeKvFields(out: MsgpackOut, kv: KeyValue): void {
  out.bin(kv.key);
  out.bin(kv.value);
  out.int(kv.createRevision);
  out.int(kv.modRevision);
  out.int(kv.version);
  out.int(kv.lease);
}

function writeKv(out: MsgpackOut, kv: KeyValue): void {
  out.array(FIELDS);
  writeKvFields(out, kv);
}

/** Walks the snapshot's fields in order, for a sizing pass and a writing pass alike. */
function walkKvSnapshot(out: MsgpackOut, state: KvSnapshotState, kvs: readonly KeyValue[], tail: readonly Uint8Array[]): void {
  out.array(6 + tail.length);
  out.int(FORMAT);
  out.int(state.revision);
  out.int(state.compactRevision);
  out.array(kvs.length * FIELDS);
  for (const kv of kvs) writeKvFields(out, kv);
  out.array(state.history.length);
  for (const r of state.history) {
    out.array(2);
    out.int(r.revision);
    out.array(r.changes.length);
    for (const c of r.changes) {
      out.array(3);
      out.bool(c.event.type === 'delete');
      writeKv(out, c.event.kv);
      if (c.event.prevKv) writeKv(out, c.event.prevKv);
      else out.nil();
    }
  }
  out.array(state.leases.length * 3);
  for (const l of state.leases) {
    out.int(l.id);
    out.int(l.ttl);
    out.int(l.refreshes);
  }
  for (const field of tail) out.raw(field);
}

/**
 * The optional trailing fields, each already msgpack: left off while absent, so older snapshots
 * keep their bytes (auth as the 7th; the member table as the 8th, after auth or null).
 */
function trailingFields(state: KvSnapshotState): Uint8Array[] {
  if (state.members !== undefined) return [pack(state.auth ?? null), pack(state.members)];
  return state.auth === undefined ? [] : [pack(state.auth)];
}

/** Written straight into the output buffer (msgpack-writer): the same bytes msgpackr gave. */
export function encodeKvSnapshot(state: KvSnapshotState): Uint8Array {
  const kvs = [...state.kvs];
  const tail = trailingFields(state);
  return writeMsgpack((out) => walkKvSnapshot(out, state, kvs, tail));
}

/** The byte length `encodeKvSnapshot(state)` would have, without building it (etcd's dbSize). */
export function kvSnapshotSize(state: KvSnapshotState): number {
  const sizer = new MsgpackSizer();
  walkKvSnapshot(sizer, state, [...state.kvs], trailingFields(state));
  return sizer.bytes;
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

function readLeases(x: unknown): LeaseInfo[] {
  if (!Array.isArray(x) || x.length % 3 !== 0) throw bad('bad lease list');
  const leases: LeaseInfo[] = [];
  for (let i = 0; i < x.length; i += 3) {
    const [id, ttl, refreshes] = x.slice(i, i + 3) as unknown[];
    if (!isCount(id) || id === 0 || !isCount(ttl) || !isCount(refreshes)) throw bad(`bad lease entry ${i / 3}`);
    leases.push({ id, ttl, refreshes });
  }
  return leases;
}

export function decodeKvSnapshot(data: Uint8Array): DecodedKvSnapshot {
  let flat: unknown;
  try {
    // One private copy of the whole snapshot; the restored keys and values are views into it.
    flat = unpack(new Uint8Array(data));
  } catch (err) {
    throw bad('undecodable bytes', err);
  }
  if (!Array.isArray(flat) || ![1, 2, FORMAT].includes(flat[0] as number)) throw bad('unknown format');
  const revision: unknown = flat[1];
  if (!isCount(revision) || revision < 1) throw bad('bad revision');
  if (flat[0] === 1) return { revision, kvs: readKeys(flat, 2), compactRevision: revision, history: [], leases: [] };
  const optional = flat[0] === FORMAT && (flat.length === 7 || flat.length === 8);
  if (flat.length !== (flat[0] === 2 ? 5 : 6) && !optional) throw bad('wrong number of fields');
  const compactRevision: unknown = flat[2];
  if (!isCount(compactRevision) || compactRevision < 1 || compactRevision > revision) throw bad('bad compact revision');
  if (!Array.isArray(flat[3])) throw bad('bad key list');
  const leases = flat[0] === 2 ? [] : readLeases(flat[5]);
  const base = { revision, kvs: readKeys(flat[3] as unknown[], 0), compactRevision, history: readHistory(flat[4]), leases };
  if (!optional) return base;
  const auth = flat[6] === null ? {} : { auth: flat[6] };
  return flat.length === 8 ? { ...base, ...auth, members: flat[7] } : { ...base, ...auth };
}
