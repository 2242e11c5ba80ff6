/**
 * @module meshraft/etcd
 * An etcd v3 JSON gateway over a meshraft KV state machine, for node:http servers.
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
