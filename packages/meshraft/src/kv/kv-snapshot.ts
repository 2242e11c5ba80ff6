/**
 * @module kv-snapshot
 * Snapshot bytes of the KV store: msgpack of `[format, revision, ...six fields per key]` with keys
 * in byte order, so equal states give byte-identical snapshots.
 */
import { KvError, KvErrorCode } from './kv-errors.js';
import type { KeyValue } from './kv-types.js';
import { pack, unpack } from './msgpack.js';

const FORMAT = 1;
const FIELDS = 6;

export interface KvSnapshotState {
  readonly revision: number;
  readonly kvs: Iterable<KeyValue>;
}

export function encodeKvSnapshot(state: KvSnapshotState): Uint8Array {
  const flat: unknown[] = [FORMAT, state.revision];
  for (const kv of state.kvs) {
    flat.push(kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease);
  }
  return pack(flat);
}

function bad(why: string, cause?: unknown): KvError {
  return new KvError(KvErrorCode.InvalidSnapshot, `not a KV snapshot: ${why}`, { cause });
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

export function decodeKvSnapshot(data: Uint8Array): { revision: number; kvs: KeyValue[] } {
  let flat: unknown;
  try {
    // One private copy of the whole snapshot; the restored keys and values are views into it.
    flat = unpack(new Uint8Array(data));
  } catch (err) {
    throw bad('undecodable bytes', err);
  }
  if (!Array.isArray(flat) || flat[0] !== FORMAT) throw bad('unknown format');
  if ((flat.length - 2) % FIELDS !== 0) throw bad('truncated key list');
  const revision: unknown = flat[1];
  if (!isCount(revision) || revision < 1) throw bad('bad revision');
  const kvs: KeyValue[] = [];
  for (let i = 2; i < flat.length; i += FIELDS) {
    const key: unknown = flat[i];
    const value: unknown = flat[i + 1];
    const createRevision: unknown = flat[i + 2];
    const modRevision: unknown = flat[i + 3];
    const version: unknown = flat[i + 4];
    const lease: unknown = flat[i + 5];
    if (
      !(key instanceof Uint8Array) ||
      key.length === 0 ||
      !(value instanceof Uint8Array) ||
      !isCount(createRevision) ||
      !isCount(modRevision) ||
      !isCount(version) ||
      !isCount(lease)
    ) {
      throw bad(`bad key entry ${(i - 2) / FIELDS}`);
    }
    kvs.push({ key, value, createRevision, modRevision, version, lease });
  }
  return { revision, kvs };
}
