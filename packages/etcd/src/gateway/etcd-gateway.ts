/**
 * @module etcd-gateway
 * A node:http handler that speaks the subset of etcd's v3 JSON gateway meshraft serves:
 * KV put/range/deleterange/txn, leases (etcd-lease.ts), maintenance status, member list, and
 * Prometheus metrics; with the endpoint's gRPC handlers (etcd-rpc.ts) also locks, elections and
 * auth (etcd-lock.ts, etcd-election.ts, etcd-auth.ts), and tokens while auth is enabled. Every
 * request either gets etcd's response shape or an etcd-style error; nothing a client sends
 * can make the handler throw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KvFailure } from 'meshraft/kv';
import { writeTrace, writeTracing } from '@meshraft/transport';
import {
  EtcdGatewayError,
  EtcdGatewayErrorCode,
  GrpcCode,
  badRequest,
  kvFailureReply,
  thrownReply,
  type EtcdErrorReply,
} from '../etcd-errors.js';
import {
  asObject,
  parseDeleteRangeRequest,
  parsePutRequest,
  parseRangeRequest,
  parseTxnRequest,
  parseCompactionRequest,
  parseWatchRequest,
} from './etcd-request.js';
import { AUTH_ROUTES } from './etcd-auth.js';
import { ELECTION_ROUTES } from './etcd-election.js';
import { createGatewayLeases, jsonValues } from './etcd-lease.js';
import { LOCK_ROUTES } from './etcd-lock.js';
import type { GatewayRpc, RpcRoute } from './etcd-rpc.js';
import { serveWatch } from './etcd-watch.js';
import {
  deleteRangeJson,
  headerJson,
  memberListJson,
  putJson,
  rangeJson,
  statusJson,
  txnJson,
} from './etcd-response.js';
import type { KvClient } from '../kv-client.js';
import { PrometheusText, writeNodeMetrics, type MetricsSource } from '../metrics.js';

/** etcd's default --max-request-bytes is 1.5 MiB of protobuf; base64 in JSON grows it by a third. */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024 + 512 * 1024;

export interface EtcdGatewayOptions {
  readonly metrics?: MetricsSource;
  /** Larger bodies get 413. */
  readonly maxBodyBytes?: number;
  /** The etcd version reported by /v3/maintenance/status; clients gate features on it. */
  readonly etcdVersion?: string;
  /**
   * The endpoint's gRPC handlers (auth guard included), called in process: they serve the lock,
   * election and auth routes, and while `rpc.guarded()` (auth enabled) or when a request has an
   * `Authorization` header the KV, lease and watch routes too, so those read the token and make
   * etcd's checks.
   */
  readonly rpc?: GatewayRpc;
}

/** Routes that only exist as gRPC handlers. */
const RPC_ROUTES: Readonly<Record<string, RpcRoute>> = { ...LOCK_ROUTES, ...ELECTION_ROUTES, ...AUTH_ROUTES };

/**
 * While auth is enabled: the routes whose gRPC handlers check a token (etcd 3.4 reads none for
 * keep-alives, Status and MemberList, so those stay on the direct path).
 */
const GUARDED_ROUTES: Readonly<Record<string, RpcRoute>> = {
  '/v3/kv/put': { service: 'KV', method: 'Put' },
  '/v3/kv/range': { service: 'KV', method: 'Range' },
  '/v3/kv/deleterange': { service: 'KV', method: 'DeleteRange' },
  '/v3/kv/txn': { service: 'KV', method: 'Txn' },
  '/v3/kv/compaction': { service: 'KV', method: 'Compact' },
  '/v3/lease/grant': { service: 'Lease', method: 'LeaseGrant' },
  '/v3/lease/revoke': { service: 'Lease', method: 'LeaseRevoke' },
  '/v3/kv/lease/revoke': { service: 'Lease', method: 'LeaseRevoke' },
  '/v3/lease/timetolive': { service: 'Lease', method: 'LeaseTimeToLive' },
  '/v3/kv/lease/timetolive': { service: 'Lease', method: 'LeaseTimeToLive' },
  '/v3/lease/leases': { service: 'Lease', method: 'LeaseLeases' },
  '/v3/kv/lease/leases': { service: 'Lease', method: 'LeaseLeases' },
  '/v3/watch': { service: 'Watch', method: 'Watch', stream: 'bidi' },
};

export type EtcdGatewayHandler = (req: IncomingMessage, res: ServerResponse) => void;

type Json = Record<string, unknown>;
type Endpoint = (body: Json) => Promise<Json | KvFailure>;

const TOO_LARGE = new EtcdGatewayError(
  EtcdGatewayErrorCode.BodyTooLarge,
  GrpcCode.ResourceExhausted,
  413,
  'etcdserver: request is too large',
);

/** The client hung up before sending its whole body; counted as 499 (nginx's code), nothing sent. */
const CLIENT_CLOSED = new Error('client closed the request');

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(TOO_LARGE);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    let done = false;
    req.on('end', () => {
      done = true;
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    // A request stream only fails when the client aborts or resets; 'close' covers hang-ups
    // that raise no error. Either way there is no one left to answer.
    req.on('error', () => {
      if (!failed) reject(CLIENT_CLOSED);
      failed = true;
    });
    req.on('close', () => {
      if (!done && !failed) reject(CLIENT_CLOSED);
      failed = true;
    });
  });
}

function parseJson(text: string): Json {
  // grpc-gateway treats an empty body as a request with every field at its default.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return asObject(parsed, 'body');
}


function isFailure(x: Json | KvFailure): x is KvFailure {
  return (x as KvFailure).ok === false && (x as KvFailure).type === 'error';
}

export function createEtcdGateway(kv: KvClient, opts: EtcdGatewayOptions = {}): EtcdGatewayHandler {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const etcdVersion = opts.etcdVersion ?? '3.5.0';
  const requests = new Map<string, number>();

  const header = (revision: number) => headerJson(kv.identity(), revision);
  /** The store revision for headers that answer no read: a serializable count-only read is cheap. */
  const currentRevision = async () =>
    (await kv.read({ type: 'range', key: new Uint8Array([0]), countOnly: true }, { linearizable: false })).revision;

  const leases = createGatewayLeases(kv, header);
  const endpoints: Record<string, Endpoint> = {
    ...leases.endpoints,
    '/v3/kv/put': async (body) => {
      const r = await kv.propose(parsePutRequest(body));
      return r.ok ? putJson(r, header(r.revision)) : r;
    },
    '/v3/kv/range': async (body) => {
      const { query, serializable } = parseRangeRequest(body);
      const r = await kv.read(query, { linearizable: !serializable });
      return r.ok ? rangeJson(r, header(r.revision)) : r;
    },
    '/v3/kv/deleterange': async (body) => {
      const r = await kv.propose(parseDeleteRangeRequest(body));
      return r.ok ? deleteRangeJson(r, header(r.revision)) : r;
    },
    '/v3/kv/txn': async (body) => {
      const r = await kv.propose(parseTxnRequest(body));
      return r.ok ? txnJson(r, header(r.revision)) : r;
    },
    '/v3/kv/compaction': async (body) => {
      const r = await kv.propose({ type: 'compact', revision: parseCompactionRequest(body) });
      return r.ok ? { header: header(r.revision) } : r;
    },
    '/v3/maintenance/status': async () => {
      const [status, revision] = await Promise.all([kv.status(), currentRevision()]);
      return statusJson(status, header(revision), etcdVersion);
    },
    '/v3/cluster/member/list': async () => {
      const [members, revision] = await Promise.all([kv.members(), currentRevision()]);
      return memberListJson(members, header(revision));
    },
  };

  const rpc = opts.rpc;
  /** A sent token is read (and, while auth is off, refused as dead) as etcd does: by the guarded handlers. */
  const rpcRoute = (path: string, token: string | undefined): RpcRoute | undefined => {
    const route = RPC_ROUTES[path] ?? (rpc && (rpc.guarded() || token !== undefined) ? GUARDED_ROUTES[path] : undefined);
    return route && rpc?.has(route) ? route : undefined;
  };

  function count(path: string, status: number): void {
    const key = `${path in endpoints || (rpc !== undefined && path in RPC_ROUTES) || path === '/metrics' || path === '/v3/watch' || path === KEEPALIVE ? path : 'other'} ${status}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  }

  function send(res: ServerResponse, path: string, status: number, body: string, type: string, extra: Record<string, string> = {}): void {
    count(path, status);
    if (res.headersSent || res.destroyed) return;
    if (writeTracing) writeTrace('http-out');
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function sendError(res: ServerResponse, path: string, e: EtcdErrorReply, extra: Record<string, string> = {}): void {
    send(res, path, e.httpStatus, JSON.stringify(e.body), 'application/json', extra);
  }

  function metricsText(): string {
    const out = new PrometheusText();
    if (opts.metrics) writeNodeMetrics(out, opts.metrics.metrics());
    out.family('meshraft_gateway_requests_total', 'counter', 'etcd gateway requests by path and HTTP status.');
    for (const [key, n] of [...requests].sort()) {
      const [path, code] = key.split(' ') as [string, string];
      out.sample('meshraft_gateway_requests_total', n, { path, code });
    }
    return out.toString();
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/metrics') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
      send(res, path, 200, metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
      return;
    }
    const token = req.headers.authorization;
    const route = rpcRoute(path, token);
    if (route && rpc) {
      if (req.method !== 'POST') throw methodNotAllowed();
      const text = await readBody(req, maxBodyBytes);
      if (route.stream) {
        const bodies = route.stream === 'server' ? [parseJson(text)] : [...jsonValues(text)].map(parseJson);
        rpc.stream(route, bodies, token, res);
        res.on('close', () => count(path, res.statusCode));
        return;
      }
      send(res, path, 200, JSON.stringify(await rpc.unary(route, parseJson(text), token, res)), 'application/json');
      return;
    }
    if (path === '/v3/watch') {
      if (req.method !== 'POST') throw methodNotAllowed();
      const body = parseJson(await readBody(req, maxBodyBytes));
      const w = parseWatchRequest(body);
      if (w.key.length === 0) throw badRequest('etcdserver: key is not provided');
      await serveWatch(kv, w, res, header);
      count(path, 200);
      return;
    }
    if (path === KEEPALIVE) {
      if (req.method !== 'POST') throw methodNotAllowed();
      await leases.keepAlive(await readBody(req, maxBodyBytes), parseJson, res);
      count(path, res.statusCode);
      return;
    }
    const endpoint = endpoints[path];
    if (endpoint === undefined) {
      throw new EtcdGatewayError(EtcdGatewayErrorCode.NotFound, GrpcCode.NotFound, 404, 'Not Found');
    }
    if (req.method !== 'POST') throw methodNotAllowed();
    const body = parseJson(await readBody(req, maxBodyBytes));
    const out = await endpoint(body);
    if (isFailure(out)) sendError(res, path, kvFailureReply(out));
    else send(res, path, 200, JSON.stringify(out), 'application/json');
  }

  return (req, res) => {
    if (writeTracing) writeTrace('http-in');
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://gateway').pathname;
    } catch {
      // An unparsable URL is just an unknown path.
    }
    serve(req, res, path).catch((err: unknown) => {
      if (err === CLIENT_CLOSED) {
        count(path, 499);
        return;
      }
      const extra: Record<string, string> = {};
      if (err instanceof EtcdGatewayError) {
        if (err.code === EtcdGatewayErrorCode.MethodNotAllowed) extra.allow = path === '/metrics' ? 'GET, HEAD' : 'POST';
        // The rest of an oversized body is not worth reading.
        if (err.code === EtcdGatewayErrorCode.BodyTooLarge) extra.connection = 'close';
      }
      sendError(res, path, thrownReply(err), extra);
    });
  };
}

/** A stream (one answer per request in the body), served apart from the unary endpoints. */
const KEEPALIVE = '/v3/lease/keepalive';

function methodNotAllowed(): EtcdGatewayError {
  return new EtcdGatewayError(EtcdGatewayErrorCode.MethodNotAllowed, GrpcCode.Unimplemented, 405, 'Method Not Allowed');
}
