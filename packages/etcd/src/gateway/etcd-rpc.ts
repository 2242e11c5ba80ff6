/**
 * @module gateway/etcd-rpc
 * What etcd's grpc-gateway is: a JSON front for the gRPC handlers. etcd dials its own gRPC port;
 * here the very handler objects that serve gRPC (with the auth guard in front) are called in
 * process, with a call object carrying the decoded request and the `Authorization` header as the
 * `authorization` metadata etcd reads a token from. So the Lock, Election and Auth routes, and
 * the KV, Lease and Watch routes while auth is enabled, run the same code and checks as gRPC.
 * Streams answer newline-separated `{"result": ...}` objects, headers sent with the first one.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Metadata, type MethodDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdStatusError, GrpcCode, thrownReply } from '../etcd-errors.js';
import type { EtcdServices } from '../grpc/proto.js';
import { methodTypes, requestFromJson, responseToJson } from './proto-json.js';

type Json = Record<string, unknown>;
export type ServiceName = keyof EtcdServices;

/** One gateway path: the service and method it calls; `stream` for server and bidirectional streams. */
export interface RpcRoute {
  readonly service: ServiceName;
  readonly method: string;
  readonly stream?: 'server' | 'bidi';
}

const FULL_NAMES: Record<ServiceName, string> = {
  KV: 'etcdserverpb.KV',
  Watch: 'etcdserverpb.Watch',
  Lease: 'etcdserverpb.Lease',
  Cluster: 'etcdserverpb.Cluster',
  Maintenance: 'etcdserverpb.Maintenance',
  Auth: 'etcdserverpb.Auth',
  Lock: 'v3lockpb.Lock',
  Election: 'v3electionpb.Election',
};

/** grpc-gateway's HTTP status names, for errors met after a stream's first message. */
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 412: 'Precondition Failed', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

type Callback = (err: unknown, value?: unknown) => void;
type Handler = (call: unknown, callback?: Callback) => void;

/** The parts of a grpc-js server call the handlers use. */
class InProcessCall extends EventEmitter {
  cancelled = false;
  readonly metadata = new Metadata();
  constructor(
    readonly request: Json,
    authorization: string | undefined,
  ) {
    super();
    if (authorization !== undefined) this.metadata.set('authorization', authorization);
  }
  getPeer(): string {
    return 'gateway';
  }
  getDeadline(): number {
    return Infinity;
  }
  sendMetadata(): void {}
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

/** A server (or bidirectional) stream whose messages become `{"result": ...}` lines of `res`. */
class InProcessStream extends InProcessCall {
  #started = false;
  constructor(
    request: Json,
    authorization: string | undefined,
    private readonly res: ServerResponse,
    private readonly toJson: (msg: unknown) => Json,
  ) {
    super(request, authorization);
    res.on('drain', () => this.emit('drain'));
    res.on('close', () => {
      if (!res.writableEnded) this.cancel();
      this.emit('close');
    });
  }
  get writable(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }
  get destroyed(): boolean {
    return this.res.destroyed;
  }
  #head(): void {
    if (this.#started) return;
    this.#started = true;
    this.res.writeHead(200, { 'content-type': 'application/json' });
  }
  write(msg: unknown): boolean {
    if (!this.writable) return false;
    this.#head();
    return this.res.write(`${JSON.stringify({ result: this.toJson(msg) })}\n`);
  }
  end(): void {
    if (!this.writable) return;
    this.#head();
    this.res.end();
  }
  destroy(err?: unknown): void {
    if (!this.writable) return;
    if (err === undefined) return this.end();
    const e = thrownReply(statusError(err));
    if (!this.#started) {
      const body = JSON.stringify(e.body);
      this.res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      this.res.end(body);
      return;
    }
    // grpc-gateway's stream error, once a message went out.
    const error = { grpc_code: e.body.code, http_code: e.httpStatus, message: e.body.message, http_status: STATUS_TEXT[e.httpStatus] ?? '' };
    this.res.end(`${JSON.stringify({ error })}\n`);
  }
}

/** A status a handler failed with (a grpc-js `{code, details}` or an Error carrying them). */
function statusError(err: unknown): EtcdStatusError {
  if (err instanceof EtcdStatusError) return err;
  const s = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof s.code === 'number' ? s.code : GrpcCode.Unknown;
  return new EtcdStatusError(code, String(s.details ?? s.message ?? 'unknown error'));
}

export interface GatewayRpc {
  /** While true (auth enabled), the KV, Lease and Watch routes are served here too. */
  guarded(): boolean;
  has(route: RpcRoute): boolean;
  /** A unary call; rejects with an EtcdStatusError. `res` closing early cancels it. */
  unary(route: RpcRoute, body: unknown, authorization: string | undefined, res: ServerResponse): Promise<Json>;
  /** A stream: each request of `bodies` is sent in turn; the answer goes to `res` as it comes. */
  stream(route: RpcRoute, bodies: readonly unknown[], authorization: string | undefined, res: ServerResponse): void;
}

export function createGatewayRpc(defs: EtcdServices, impls: Partial<Record<ServiceName, UntypedServiceImplementation>>, guarded: () => boolean): GatewayRpc {
  const resolve = (route: RpcRoute) => {
    const handler = impls[route.service]?.[route.method] as Handler | undefined;
    const def = (defs[route.service] as Record<string, MethodDefinition<unknown, unknown>>)[route.method];
    if (!handler || !def) throw new EtcdStatusError(GrpcCode.Unimplemented, `unknown method ${route.method} for service ${FULL_NAMES[route.service]}`);
    const types = methodTypes(FULL_NAMES[route.service], route.method);
    return { handler, def, types, toJson: (msg: unknown) => responseToJson(def, types.response, msg) };
  };

  return {
    guarded,
    has: (route) => impls[route.service]?.[route.method] !== undefined,
    unary(route, body, authorization, res) {
      const { handler, def, types, toJson } = resolve(route);
      const call = new InProcessCall(requestFromJson(def, types.request, body), authorization);
      res.on('close', () => {
        if (!res.writableEnded) call.cancel();
      });
      return new Promise<Json>((ok, fail) => {
        try {
          handler(call, (err, value) => (err ? fail(statusError(err)) : ok(toJson(value))));
        } catch (err) {
          fail(statusError(err));
        }
      });
    },
    stream(route, bodies, authorization, res) {
      const { handler, def, types, toJson } = resolve(route);
      // Every request is decoded first: a malformed one fails the call before anything starts.
      const requests = bodies.map((b) => requestFromJson(def, types.request, b));
      const call = new InProcessStream(route.stream === 'server' ? (requests[0] ?? requestFromJson(def, types.request, {})) : {}, authorization, res, toJson);
      try {
        handler(call);
        // A bidirectional stream stays open after the body ends (etcd's watch keeps its watches).
        if (route.stream === 'bidi') for (const r of requests) call.emit('data', r);
      } catch (err) {
        call.destroy(err);
      }
    },
  };
}
