/**
 * @module meshraft/etcd
 * etcd's v3 API over a meshraft KV node: gRPC (from etcd's own .proto files) and the JSON gateway
 * on one port, plain or TLS.
 */
export { createEtcdGateway, DEFAULT_MAX_BODY_BYTES, type EtcdGatewayHandler, type EtcdGatewayOptions } from './gateway/etcd-gateway.js';
export {
  NoLeaderError,
  RequestTimeoutError,
  type KvClient,
  type KvClientStatus,
  type KvMember,
  type ReadOptions,
  type ResponseIdentity,
} from './kv-client.js';
export { createLocalKvClient, type LocalKvClient, type LocalKvClientOptions } from './local-kv-client.js';
export { EtcdGatewayError, EtcdGatewayErrorCode, GrpcCode } from './etcd-errors.js';
export type { LatencyHistogram, MetricsRole, MetricsSource, NodeMetrics } from './metrics.js';
export { toEtcdId } from './member-id.js';
export { DEFAULT_MAX_REQUEST_BYTES, serveEtcd, type EtcdServer, type EtcdServerOptions } from './etcd-server.js';
export type { ClientTls } from './grpc/client-listener.js';
export { createNodeKvClient, type KvNode, type NodeKvClientOptions } from './node-kv-client.js';
export { openWatch, type OpenedWatch, type WatchSpec } from './watch-source.js';
export { etcdGrpcClient, etcdServices, type EtcdServices } from './grpc/proto.js';
