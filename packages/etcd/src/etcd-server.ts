/**
 * @module etcd-server
 * A member's client endpoint, as etcd serves it: gRPC (KV, Watch, Lease, Cluster, Maintenance, Lock, Election) and the
 * v3 JSON gateway with /metrics, on one port, plain or TLS.
 */
import { createEtcdGateway } from './gateway/etcd-gateway.js';
import { createGatewayRpc } from './gateway/etcd-rpc.js';
import { listenClients, type ClientListener, type ClientTls } from './grpc/client-listener.js';
import { createKvServices } from './grpc/kv-services.js';
import { createElectionService } from './grpc/election-service.js';
import { createLeaseService } from './grpc/lease-service.js';
import { createLockService } from './grpc/lock-service.js';
import { etcdServices } from './grpc/proto.js';
import { createWatchService } from './grpc/watch-service.js';
import type { KvClient } from './kv-client.js';
import type { MetricsSource } from './metrics.js';
import { serveAuth } from './auth/serve-auth.js';

/** etcd's default --max-request-bytes. */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** etcd lets gRPC messages exceed --max-request-bytes by this much, then checks requests itself. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface EtcdServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: ClientTls;
  readonly maxRequestBytes?: number;
  readonly etcdVersion?: string;
  readonly metrics?: MetricsSource;
  /** Interval of progress notifications for watches that ask for them (etcd: 10 minutes). */
  readonly progressIntervalMs?: number;
}

export type EtcdServer = ClientListener;

export function serveEtcd(kv: KvClient, opts: EtcdServerOptions): Promise<EtcdServer> {
  const maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const etcdVersion = opts.etcdVersion ?? '3.5.0';
  const defs = etcdServices();
  const authed = serveAuth(kv, defs, (client) => ({
    ...createKvServices(client, { maxRequestBytes, etcdVersion }),
    Watch: createWatchService(client, { progressIntervalMs: opts.progressIntervalMs ?? 10 * 60_000, maxResponseBytes: maxRequestBytes }),
    Lease: createLeaseService(client),
    // Built on the caller's client: their waiter keys are written as the caller, checked at apply.
    Lock: createLockService(client),
    Election: createElectionService(client),
  }));
  const impl = authed.services;
  const watch = impl.Watch;
  return listenClients({
    host: opts.host,
    port: opts.port,
    ...(opts.tls && { tls: opts.tls }),
    maxReceiveBytes: maxRequestBytes + GRPC_OVERHEAD_BYTES,
    services: [
      [defs.KV, impl.KV],
      [defs.Watch, watch],
      [defs.Lease, impl.Lease],
      [defs.Cluster, impl.Cluster],
      [defs.Maintenance, impl.Maintenance],
      [defs.Lock, impl.Lock],
      [defs.Election, impl.Election],
      ...authed.extra,
    ],
    http: createEtcdGateway(kv, {
      ...(opts.metrics && { metrics: opts.metrics }),
      etcdVersion,
      // base64 in JSON grows a request by a third.
      maxBodyBytes: Math.ceil((maxRequestBytes * 4) / 3) + 64 * 1024,
      // The gateway calls the very handlers gRPC serves, as etcd's grpc-gateway dials its own port.
      rpc: createGatewayRpc(defs, { ...impl, ...(authed.auth && { Auth: authed.auth }) }, authed.enabled),
    }),
  });
}
