/**
 * @module gateway/etcd-lock
 * etcd's `/v3/lock/*` gateway routes (v3lock.proto's HTTP bindings), served by the gRPC Lock
 * service's own handlers through etcd-rpc: the same keys, waiting and errors as over gRPC.
 */
import type { RpcRoute } from './etcd-rpc.js';

export const LOCK_ROUTES: Readonly<Record<string, RpcRoute>> = {
  '/v3/lock/lock': { service: 'Lock', method: 'Lock' },
  '/v3/lock/unlock': { service: 'Lock', method: 'Unlock' },
};
