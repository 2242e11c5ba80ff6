/**
 * @module auth/serve-auth
 * What a client endpoint adds when its KvClient has an auth state: the Auth service, the guard
 * in front of KV, Watch, Lease, Cluster, Maintenance, Lock and Election, and writes (and lease
 * revokes) that carry the caller's identity. The JSON gateway reaches the same guarded handlers
 * (gateway/etcd-rpc.ts), so it needs nothing here.
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServices } from '../grpc/proto.js';
import { createAuthService } from '../grpc/auth-service.js';
import type { KvClient } from '../kv-client.js';
import { AuthGuard, guardServices, proposingAs } from './auth-guard.js';
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
  /** The same Auth service, for the gateway's `/v3/auth/*` routes. */
  readonly auth?: UntypedServiceImplementation;
  /** Whether auth is enabled now. */
  readonly enabled: () => boolean;
}

export function serveAuth(kv: KvClient, defs: EtcdServices, build: (kv: KvClient) => ServiceSet): AuthServing {
  const auth = kv.auth;
  if (!auth) return { services: build(kv), extra: [], enabled: () => false };
  const guard = new AuthGuard(auth, new SimpleTokens(auth), (id) => kv.leases?.view.keys(id) ?? []);
  const client = proposingAs(kv);
  const revisionNow = () => {
    const r = kv.replay?.({ key: new Uint8Array([0]) }, Number.MAX_SAFE_INTEGER);
    return r?.ok ? r.revision : 0;
  };
  // Auth RPCs read the caller's token here; the root-role checks happen at apply.
  const authService = guard.all(createAuthService(kv, guard), guard.none);
  return {
    services: guardServices(guard, build(client), kv, revisionNow),
    extra: [[defs.Auth, authService]],
    auth: authService,
    enabled: () => auth.enabled,
  };
}
