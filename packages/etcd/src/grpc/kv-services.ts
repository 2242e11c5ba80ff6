/**
 * @module grpc/kv-services
 * etcd's KV, Cluster and Maintenance services over a KvClient. Every handler answers with
 * etcd's response message or etcd's gRPC status and message; nothing a client sends throws out.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { status as Status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvFailure } from 'meshraft/kv';
import { badRequest, EtcdStatusError, grpcStatus } from '../etcd-errors.js';
import type { KvClient, KvMember } from '../kv-client.js';
import { toEtcdId } from '../member-id.js';
import { isMemberUrl, nodeIdOfPeerUrl, PEER_HOST, peerUrl } from '../peer-url.js';
import { header, int, memberMsg, payloadBytes, rangeMsg, toDeleteRange, toPut, toRange, toTxn, txnMsg, kvMsg, type Msg } from './messages.js';
import { wireBytes } from './proto.js';

export interface KvServiceOptions {
  /** etcd's --max-request-bytes: larger Put/Txn requests get "etcdserver: request is too large". */
  readonly maxRequestBytes: number;
  /** The version Status reports (clients gate features on it). */
  readonly etcdVersion: string;
}

const PEER_URL_EXISTS = () => new EtcdStatusError(Status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists');
const MEMBER_NOT_FOUND = () => new EtcdStatusError(Status.NOT_FOUND, 'etcdserver: member not found');
const BAD_URLS = () => new EtcdStatusError(Status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid');
const TOO_LARGE = () => new EtcdStatusError(Status.INVALID_ARGUMENT, 'etcdserver: request is too large');
const NOT_SUPPORTED = (what: string) => new EtcdStatusError(Status.UNIMPLEMENTED, `etcdserver: ${what} is not supported by meshraft`);

function isFailure(x: unknown): x is KvFailure {
  return typeof x === 'object' && x !== null && (x as KvFailure).type === 'error' && (x as KvFailure).ok === false;
}

/** The gRPC error for anything a handler threw or a KV failure it returned. */
export function serviceError(err: unknown): { code: number; details: string } {
  if (err instanceof EtcdStatusError) return { code: err.grpcCode, details: err.message };
  const s = grpcStatus(err);
  return { code: s.code, details: s.message };
}

/** Wraps an async handler: a returned KvFailure or a throw becomes the gRPC status. */
export function unary(fn: (req: Msg) => Promise<Msg | KvFailure>) {
  return (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (out) => (isFailure(out) ? callback(serviceError(out)) : callback(null, out)),
        (err: unknown) => callback(serviceError(err)),
      );
  };
}

export function createKvServices(kv: KvClient, opts: KvServiceOptions) {
  const h = (revision: number) => header(kv.identity(), revision);
  const currentRevision = async () => (await kv.read({ type: 'range', key: new Uint8Array([0]), countOnly: true }, { linearizable: false })).revision;
  const checkSize = (req: Msg) => {
    // The request as it came (etcd checks its encoded raft request, a few bytes more); a request
    // built in-process has no wire form, so its payload bytes stand in.
    if ((wireBytes(req) ?? payloadBytes(req)) > opts.maxRequestBytes) throw TOO_LARGE();
  };
  const withKey = (m: { key: Uint8Array }) => {
    if (m.key.length === 0) throw badRequest('etcdserver: key is not provided');
  };

  async function members(): Promise<KvMember[]> {
    return (await kv.members()).map((m) => ({ ...m, peerUrls: m.peerUrls.length ? m.peerUrls : [peerUrl(m.id)] }));
  }
  async function memberById(etcdId: string): Promise<KvMember> {
    const found = (await members()).find((m) => toEtcdId(m.id) === etcdId);
    if (!found) throw MEMBER_NOT_FOUND();
    return found;
  }
  const memberList = async () => (await members()).map(memberMsg);

  /** etcd's hash of the KV space at a revision: here CRC-32 over every key's fields, in key order. */
  async function hashAt(revision: number): Promise<{ hash: number; revision: number } | KvFailure> {
    const r = await kv.read({ type: 'range', key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), ...(revision > 0 && { revision }) }, { linearizable: false });
    if (!r.ok) return r;
    let hash = 0;
    for (const kv of r.kvs) {
      hash = crc32(kv.key, hash);
      hash = crc32(kv.value, hash);
      hash = crc32(`${kv.createRevision}/${kv.modRevision}/${kv.version}/${kv.lease}`, hash);
    }
    return { hash, revision: r.revision };
  }

  const KV: UntypedServiceImplementation = {
    Range: unary(async (req) => {
      const { query, serializable } = toRange(req);
      withKey(query);
      const r = await kv.read(query, { linearizable: !serializable });
      return r.ok ? rangeMsg(r, h(r.revision)) : r;
    }),
    Put: unary(async (req) => {
      checkSize(req);
      const cmd = toPut(req);
      const r = await kv.propose(cmd);
      return r.ok ? { header: h(r.revision), ...(r.prevKv && { prev_kv: kvMsg(r.prevKv) }) } : r;
    }),
    DeleteRange: unary(async (req) => {
      const cmd = toDeleteRange(req);
      withKey(cmd);
      const r = await kv.propose(cmd);
      return r.ok ? { header: h(r.revision), deleted: String(r.deleted), prev_kvs: (r.prevKvs ?? []).map(kvMsg) } : r;
    }),
    Txn: unary(async (req) => {
      checkSize(req);
      const r = await kv.propose(toTxn(req));
      return r.ok ? txnMsg(r, h(r.revision)) : r;
    }),
    Compact: unary(async (req) => {
      const r = await kv.propose({ type: 'compact', revision: Math.max(0, int(req, 'revision')) });
      return r.ok ? { header: h(r.revision) } : r;
    }),
  };

  const Cluster: UntypedServiceImplementation = {
    MemberList: unary(async () => ({ header: h(await currentRevision()), members: await memberList() })),
    MemberAdd: unary(async (req) => {
      const urls = (req.peerURLs as string[] | undefined) ?? [];
      if (urls.length !== 1) throw badRequest(`etcdserver: a meshraft member has exactly one peer URL, http://NODE-ID${PEER_HOST}`);
      const id = nodeIdOfPeerUrl(urls[0]!);
      if (!kv.addMember) throw NOT_SUPPORTED('MemberAdd');
      // The node itself, or another member that MemberUpdate gave this URL.
      if ((await members()).some((m) => m.id === id || m.peerUrls.includes(urls[0]!))) throw PEER_URL_EXISTS();
      const learner = req.isLearner === true;
      await kv.addMember(id, learner);
      const member: KvMember = { id, name: '', peerUrls: [peerUrl(id)], clientUrls: [], isLearner: learner };
      return { header: h(await currentRevision()), member: memberMsg(member), members: await memberList() };
    }),
    MemberRemove: unary(async (req) => {
      const m = await memberById(String(req.ID));
      if (!kv.removeMember) throw NOT_SUPPORTED('MemberRemove');
      await kv.removeMember(m.id);
      // Its attributes go too (so a later member with its URLs is not refused); best effort: a
      // left-over entry is harmless, member lists show current members only. A member that
      // removed itself can no longer propose, so it does not try.
      if (m.id !== kv.identity().memberId) await kv.propose({ type: 'memberAttrs', id: m.id, forget: true }).catch(() => {});
      return { header: h(await currentRevision()), members: await memberList() };
    }),
    MemberUpdate: unary(async (req) => {
      const m = await memberById(String(req.ID));
      const urls = (req.peerURLs as string[] | undefined) ?? [];
      // etcd refuses a URL another member has before anything else about the URLs.
      const others = new Set((await members()).filter((o) => o.id !== m.id).flatMap((o) => o.peerUrls));
      if (urls.some((u) => others.has(u))) throw PEER_URL_EXISTS();
      if (urls.length === 0 || !urls.every(isMemberUrl)) throw BAD_URLS();
      // Recorded in the replicated state; the apply refuses URLs another member recorded meanwhile.
      const r = await kv.propose({ type: 'memberAttrs', id: m.id, peerUrls: urls });
      return r.ok ? { header: h(await currentRevision()), members: await memberList() } : r;
    }),
    MemberPromote: unary(async (req) => {
      const m = await memberById(String(req.ID));
      if (!m.isLearner) throw new EtcdStatusError(Status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member');
      if (!kv.promoteMember) throw NOT_SUPPORTED('MemberPromote');
      await kv.promoteMember(m.id);
      return { header: h(await currentRevision()), members: await memberList() };
    }),
  };

  const Maintenance: UntypedServiceImplementation = {
    Status: unary(async () => {
      const [s, revision] = await Promise.all([kv.status(), currentRevision()]);
      return {
        header: h(revision),
        version: opts.etcdVersion,
        dbSize: String(s.dbSize),
        leader: s.leader === null ? '0' : toEtcdId(s.leader),
        raftIndex: String(s.raftIndex),
        raftTerm: String(s.raftTerm),
        raftAppliedIndex: String(s.raftAppliedIndex),
        errors: [...s.errors],
        dbSizeInUse: String(s.dbSize),
        isLearner: s.isLearner,
      };
    }),
    Hash: unary(async () => {
      const r = await hashAt(0);
      return 'hash' in r ? { header: h(r.revision), hash: r.hash } : r;
    }),
    HashKV: unary(async (req) => {
      const r = await hashAt(Math.max(0, int(req, 'revision')));
      const compactRevision = (await kv.status()).compactRevision ?? 0;
      return 'hash' in r ? { header: h(r.revision), hash: r.hash, compact_revision: String(compactRevision) } : r;
    }),
    Alarm: unary(async (req) => {
      // meshraft raises no alarms (no space quota, no corruption check): GET lists none, and
      // ACTIVATE/DEACTIVATE change nothing.
      void req;
      return { header: h(await currentRevision()), alarms: [] };
    }),
    Defragment: unary(async () => ({ header: h(await currentRevision()) })),
    MoveLeader: unary(async (req) => {
      // etcd answers an unknown target with ErrBadLeaderTransferee, not "member not found".
      const m = await memberById(String(req.targetID)).catch(() => {
        throw new EtcdStatusError(Status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');
      });
      if (!kv.moveLeader) throw NOT_SUPPORTED('MoveLeader');
      await kv.moveLeader(m.id);
      return { header: h(await currentRevision()) };
    }),
    Snapshot: (call: ServerWritableStream<Msg, Msg>) => {
      void streamSnapshot(call);
    },
    Downgrade: unary(async () => {
      throw NOT_SUPPORTED('Downgrade');
    }),
  };

  /**
   * The snapshot in 64 KiB blobs, then etcd's trailer: the SHA-256 of everything before it.
   * etcdctl finds the trailer by size (a bbolt file is a multiple of 512 bytes), so the snapshot
   * is zero-padded to that first.
   */
  async function streamSnapshot(call: ServerWritableStream<Msg, Msg>): Promise<void> {
    try {
      if (!kv.snapshot) throw NOT_SUPPORTED('Snapshot');
      const [data, revision] = await Promise.all([kv.snapshot(), currentRevision()]);
      const padded = Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
      const all = Buffer.concat([padded, createHash('sha256').update(padded).digest()]);
      const CHUNK = 64 * 1024;
      for (let at = 0; at < all.length && !call.cancelled; at += CHUNK) {
        const blob = all.subarray(at, at + CHUNK);
        const more = call.write({ header: h(revision), remaining_bytes: String(all.length - at - blob.length), blob });
        if (!more) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    } catch (err) {
      call.destroy(Object.assign(new Error(serviceError(err).details), serviceError(err)));
    }
  }

  return { KV, Cluster, Maintenance };
}
