/**
 * @module etcd-response
 * KV results → etcd's JSON response shapes, as grpc-gateway prints them: proto field names,
 * int64s as decimal strings, bytes as base64, and zero/false/empty fields left out.
 */
import type {
  DeleteRangeResult,
  KeyValue,
  PutResult,
  RangeResult,
  TxnOpResult,
  TxnResult,
} from 'meshraft/kv';
import type { KvClientStatus, KvMember, ResponseIdentity } from '../kv-client.js';
import { toEtcdId } from '../member-id.js';

type JsonObject = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | JsonValue[] | JsonObject;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Set a field unless it is the proto default, which grpc-gateway omits. */
function put(out: JsonObject, name: string, value: number | string | boolean | Uint8Array | JsonValue[] | JsonObject | undefined): void {
  if (value === undefined || value === 0 || value === false || value === '') return;
  if (value instanceof Uint8Array) {
    if (value.length > 0) out[name] = b64(value);
  } else if (Array.isArray(value)) {
    if (value.length > 0) out[name] = value;
  } else if (typeof value === 'number') {
    out[name] = String(value);
  } else {
    out[name] = value;
  }
}

export function headerJson(id: ResponseIdentity, revision: number): JsonObject {
  const h: JsonObject = {};
  put(h, 'cluster_id', toEtcdId(id.clusterId));
  put(h, 'member_id', toEtcdId(id.memberId));
  put(h, 'revision', revision);
  put(h, 'raft_term', id.raftTerm);
  return h;
}

export function kvJson(kv: KeyValue): JsonObject {
  const o: JsonObject = {};
  put(o, 'key', kv.key);
  put(o, 'create_revision', kv.createRevision);
  put(o, 'mod_revision', kv.modRevision);
  put(o, 'version', kv.version);
  put(o, 'value', kv.value);
  put(o, 'lease', kv.lease);
  return o;
}

export function putJson(r: PutResult, header: JsonObject): JsonObject {
  const o: JsonObject = { header };
  if (r.prevKv) o.prev_kv = kvJson(r.prevKv);
  return o;
}

export function rangeJson(r: RangeResult, header: JsonObject): JsonObject {
  const o: JsonObject = { header };
  put(o, 'kvs', r.kvs.map(kvJson));
  put(o, 'more', r.more);
  put(o, 'count', r.count);
  return o;
}

export function deleteRangeJson(r: DeleteRangeResult, header: JsonObject): JsonObject {
  const o: JsonObject = { header };
  put(o, 'deleted', r.deleted);
  put(o, 'prev_kvs', r.prevKvs?.map(kvJson));
  return o;
}

/** Responses nested in a txn carry a header with the revision only. */
function responseOpJson(r: TxnOpResult): JsonObject {
  const header: JsonObject = {};
  put(header, 'revision', r.revision);
  switch (r.type) {
    case 'put':
      return { response_put: putJson(r, header) };
    case 'range':
      return { response_range: rangeJson(r, header) };
    case 'deleteRange':
      return { response_delete_range: deleteRangeJson(r, header) };
    case 'txn':
      return { response_txn: txnJson(r, header) };
  }
}

export function txnJson(r: TxnResult, header: JsonObject): JsonObject {
  const o: JsonObject = { header };
  put(o, 'succeeded', r.succeeded);
  put(o, 'responses', r.responses.map(responseOpJson));
  return o;
}

/** LeaseGrant, LeaseKeepAlive (inside `result`), LeaseTimeToLive and LeaseLeases answers. */
export function leaseJson(
  header: JsonObject,
  r: { id?: number; ttl?: number; grantedTtl?: number; keys?: readonly Uint8Array[]; leases?: readonly number[] },
): JsonObject {
  const o: JsonObject = { header };
  put(o, 'ID', r.id);
  // TTL -1 (no such lease) is not a default, so it is printed.
  put(o, 'TTL', r.ttl);
  put(o, 'grantedTTL', r.grantedTtl);
  put(o, 'keys', r.keys?.map(b64));
  put(o, 'leases', r.leases?.map((id) => ({ ID: String(id) })));
  return o;
}

export function statusJson(s: KvClientStatus, header: JsonObject, version: string): JsonObject {
  const o: JsonObject = { header };
  put(o, 'version', version);
  put(o, 'dbSize', s.dbSize);
  put(o, 'leader', s.leader === null ? undefined : toEtcdId(s.leader));
  put(o, 'raftIndex', s.raftIndex);
  put(o, 'raftTerm', s.raftTerm);
  put(o, 'raftAppliedIndex', s.raftAppliedIndex);
  put(o, 'errors', [...s.errors]);
  put(o, 'dbSizeInUse', s.dbSize);
  put(o, 'isLearner', s.isLearner);
  return o;
}

export function memberListJson(members: readonly KvMember[], header: JsonObject): JsonObject {
  const o: JsonObject = { header };
  put(
    o,
    'members',
    members.map((m) => {
      const j: JsonObject = {};
      put(j, 'ID', toEtcdId(m.id));
      put(j, 'name', m.name);
      put(j, 'peerURLs', [...m.peerUrls]);
      put(j, 'clientURLs', [...m.clientUrls]);
      put(j, 'isLearner', m.isLearner);
      return j;
    }),
  );
  return o;
}
