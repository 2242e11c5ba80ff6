/**
 * @module auth/serve-auth
 * What a client endpoint adds when its KvClient has an auth state: the Auth service, the guard
 * in front of KV, Watch, Lease, Cluster, Maintenance, Lock and Election, writes (and lease revokes) that carry the caller's identity, and a
 * JSON gateway that refuses /v3 requests while auth is enabled (it reads no tokens).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { AuthErrorCode } from 'meshraft/kv';
import { thrownReply } from '../etcd-errors.js';
import type { EtcdServices } from '../grpc/proto.js';
import { createAuthService } from '../grpc/auth-service.js';
import type { KvClient } from '../kv-client.js';
import { AuthGuard, denied, guardServices, proposingAs } from './auth-guard.js';
import { SimpleTokens } from './auth-tokens.js';

export interface ServiceSet {
  readonly KV: UntypedServiceImplementation;
  readonly Cluster: UntypedServiceImplementation;
  readonly Maintenance: UntypedServiceImplementation;
  readonly Watch: UntypedServiceImplementation;
  readonly Lease: UntypedServiceImplementation;
  readonly Lock: UntypedServiceImplementation;
  readonly Election: UntypedServiceImplementation;
}

export interface AuthServing {
  readonly services: ServiceSet;
  /** The Auth service, when there is an auth state. */
  readonly extra: ReadonlyArray<readonly [ServiceDefinition, UntypedServiceImplementation]>;
  readonly http: (gateway: RequestListener) => RequestListener;
}

export function serveAuth(kv: KvClient, defs: EtcdServices, build: (kv: KvClient) => ServiceSet): AuthServing {
  const auth = kv.auth;
  if (!auth) return { services: build(kv), extra: [], http: (g) => g };
  const guard = new AuthGuard(auth, new SimpleTokens(auth), (id) => kv.leases?.view.keys(id) ?? []);
  const client = proposingAs(kv);
  const revisionNow = () => {
    const r = kv.replay?.({ key: new Uint8Array([0]) }, Number.MAX_SAFE_INTEGER);
    return r?.ok ? r.revision : 0;
  };
  return {
    services: guardServices(guard, build(client), kv, revisionNow),
    // Auth RPCs read the caller's token here; the root-role checks happen at apply.
    extra: [[defs.Auth, guard.all(createAuthService(kv, guard), guard.none)]],
    http: (gateway) => (req: IncomingMessage, res: ServerResponse) => {
      if (!auth.enabled || !(req.url ?? '').startsWith('/v3/')) return gateway(req, res);
      const r = thrownReply(denied(AuthErrorCode.UserEmpty));
      res.writeHead(r.httpStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    },
  };
}
