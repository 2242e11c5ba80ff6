/**
 * @module etcd-errors
 * How failures reach etcd JSON clients: a body `{"error", "code", "message"}` with the gRPC code
 * etcd would use and the HTTP status grpc-gateway maps it to.
 */
import { MeshraftError } from '@meshraft/core';
import { AUTH_MESSAGES, AuthErrorCode, KvErrorCode, type KvFailure } from 'meshraft/kv';
import { NoLeaderError, RequestTimeoutError } from './kv-client.js';

/** The gRPC status codes the gateway uses. */
export const GrpcCode = {
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** grpc-gateway's HTTP status for each code (runtime.HTTPStatusFromCode). */
const HTTP_STATUS: Record<GrpcCode, number> = {
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  // grpc-gateway's mapping as etcd 3.4 serves it (`lease already exists` answers 412).
  9: 412,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

export const EtcdGatewayErrorCode = {
  /** Malformed JSON, bad base64, a field of the wrong type or range. HTTP 400. */
  BadRequest: 'ETCD_BAD_REQUEST',
  /** No such endpoint. HTTP 404. */
  NotFound: 'ETCD_NOT_FOUND',
  /** The endpoint exists but not for this HTTP method. HTTP 405. */
  MethodNotAllowed: 'ETCD_METHOD_NOT_ALLOWED',
  /** The body is larger than `maxBodyBytes`. HTTP 413. */
  BodyTooLarge: 'ETCD_BODY_TOO_LARGE',
  /** The KvClient lacks what the endpoint needs (watch). HTTP 501. */
  NotImplemented: 'ETCD_NOT_IMPLEMENTED',
} as const;
export type EtcdGatewayErrorCode = (typeof EtcdGatewayErrorCode)[keyof typeof EtcdGatewayErrorCode];

/** A gRPC request refused as etcd refuses it: etcd's status code and message, answered as is. */
export class EtcdStatusError extends MeshraftError {
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super('ETCD_STATUS', message);
  }
}

/** A request the gateway refuses before it reaches the KvClient. */
export class EtcdGatewayError extends MeshraftError {
  declare readonly code: EtcdGatewayErrorCode;
  constructor(
    code: EtcdGatewayErrorCode,
    readonly grpcCode: GrpcCode,
    readonly httpStatus: number,
    message: string,
  ) {
    super(code, message);
  }
}

export function badRequest(message: string): EtcdGatewayError {
  return new EtcdGatewayError(EtcdGatewayErrorCode.BadRequest, GrpcCode.InvalidArgument, 400, message);
}

export interface EtcdErrorReply {
  readonly httpStatus: number;
  readonly body: { readonly error: string; readonly code: GrpcCode; readonly message: string };
}

function reply(code: GrpcCode, message: string, httpStatus = HTTP_STATUS[code] ?? 500): EtcdErrorReply {
  return { httpStatus, body: { error: message, code, message } };
}

/** etcd's wording and code for each KV failure. */
const KV_FAILURES: Record<KvErrorCode, [GrpcCode, string]> = {
  [KvErrorCode.InvalidCommand]: [GrpcCode.InvalidArgument, ''],
  [KvErrorCode.EmptyKey]: [GrpcCode.InvalidArgument, 'etcdserver: key is not provided'],
  [KvErrorCode.DuplicateKey]: [GrpcCode.InvalidArgument, 'etcdserver: duplicate key given in txn request'],
  [KvErrorCode.TooManyOps]: [GrpcCode.InvalidArgument, 'etcdserver: too many operations in txn request'],
  [KvErrorCode.KeyNotFound]: [GrpcCode.InvalidArgument, 'etcdserver: key not found'],
  [KvErrorCode.ValueProvided]: [GrpcCode.InvalidArgument, 'etcdserver: value is provided'],
  [KvErrorCode.LeaseProvided]: [GrpcCode.InvalidArgument, 'etcdserver: lease is provided'],
  [KvErrorCode.LeaseNotFound]: [GrpcCode.NotFound, 'etcdserver: requested lease not found'],
  [KvErrorCode.LeaseExists]: [GrpcCode.FailedPrecondition, 'etcdserver: lease already exists'],
  [KvErrorCode.Compacted]: [GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'],
  [KvErrorCode.FutureRevision]: [GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'],
  [KvErrorCode.PeerUrlExists]: [GrpcCode.FailedPrecondition, 'etcdserver: Peer URLs already exists'],
  [KvErrorCode.InvalidSnapshot]: [GrpcCode.Unknown, ''],
};

/** etcd's gRPC code of each auth error (rpctypes/error.go); the text is AUTH_MESSAGES'. */
const AUTH_CODES: Record<AuthErrorCode, GrpcCode> = {
  [AuthErrorCode.UserEmpty]: GrpcCode.InvalidArgument,
  [AuthErrorCode.UserAlreadyExists]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.UserNotFound]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.RoleEmpty]: GrpcCode.InvalidArgument,
  [AuthErrorCode.RoleAlreadyExists]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.RoleNotFound]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.RootUserNotExist]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.RootRoleNotExist]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.AuthFailed]: GrpcCode.InvalidArgument,
  [AuthErrorCode.PermissionDenied]: GrpcCode.PermissionDenied,
  [AuthErrorCode.PermissionNotGiven]: GrpcCode.InvalidArgument,
  [AuthErrorCode.RoleNotGranted]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.PermissionNotGranted]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.AuthNotEnabled]: GrpcCode.FailedPrecondition,
  [AuthErrorCode.InvalidAuthToken]: GrpcCode.Unauthenticated,
  [AuthErrorCode.InvalidAuthMgmt]: GrpcCode.InvalidArgument,
  [AuthErrorCode.AuthOldRevision]: GrpcCode.InvalidArgument,
};

const isAuthCode = (c: string): c is AuthErrorCode => c in AUTH_CODES;

export function kvFailureReply(f: KvFailure): EtcdErrorReply {
  if (isAuthCode(f.code)) return reply(AUTH_CODES[f.code], `etcdserver: ${AUTH_MESSAGES[f.code]}`);
  const [code, message] = KV_FAILURES[f.code];
  return reply(code, message || `etcdserver: ${f.message}`);
}

/**
 * Runtime errors by `code`, so a KvClient may reject with its own classes (the node runtime's
 * NoLeaderError, NoQuorumError, ...) as long as the codes are the documented ones.
 */
const THROWN: Record<string, [GrpcCode, string]> = {
  [new NoLeaderError().code]: [GrpcCode.Unavailable, 'etcdserver: no leader'],
  [new RequestTimeoutError().code]: [GrpcCode.Unavailable, 'etcdserver: request timed out'],
  NO_QUORUM: [GrpcCode.Unavailable, 'etcdserver: request timed out'],
  NODE_STOPPED: [GrpcCode.Unavailable, 'etcdserver: server stopped'],
  PROPOSAL_TOO_LARGE: [GrpcCode.InvalidArgument, 'etcdserver: request is too large'],
  MEMBER_NOT_FOUND: [GrpcCode.NotFound, 'etcdserver: member not found'],
};

/** The gRPC status etcd would send for a KV failure or anything thrown while serving. */
export function grpcStatus(x: KvFailure | unknown): { code: GrpcCode; message: string } {
  const failure = x as KvFailure;
  const r = failure !== null && typeof failure === 'object' && failure.type === 'error' && failure.ok === false ? kvFailureReply(failure) : thrownReply(x);
  return { code: r.body.code, message: r.body.message };
}

/** Map anything thrown while serving a request; unexpected errors become Unknown (500). */
export function thrownReply(err: unknown): EtcdErrorReply {
  if (err instanceof EtcdGatewayError) return reply(err.grpcCode, err.message, err.httpStatus);
  if (err instanceof MeshraftError && isAuthCode(err.code)) return reply(AUTH_CODES[err.code], `etcdserver: ${AUTH_MESSAGES[err.code]}`);
  const known = err instanceof MeshraftError ? THROWN[err.code] : undefined;
  if (known) return reply(...known);
  if (err instanceof EtcdStatusError) return reply(err.grpcCode as GrpcCode, err.message);
  return reply(GrpcCode.Unknown, err instanceof Error ? err.message : String(err));
}
