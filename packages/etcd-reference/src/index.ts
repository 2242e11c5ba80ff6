/**
 * @module @meshraft/etcd-reference
 * A real etcd cluster on loopback, the reference meshraft's tests (packages/etcd) and benchmarks
 * (packages/bench) compare with; private, never published. See docs/etcd.md.
 */
export { startEtcdCluster, EtcdStartError, type EtcdCluster, type EtcdClusterOptions } from './etcd-cluster.js';
export { canListen, ephemeralLow, reservedPort } from './ports.js';
