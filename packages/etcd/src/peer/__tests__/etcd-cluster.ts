/**
 * Test helper: the reference etcd of @meshraft/etcd-reference (the `etcd` binary on loopback,
 * healthy on return, restarted on fresh ports if one was taken), quiet (`--log-level error`) and
 * in the positional form this package's tests call it with.
 */
import { startEtcdCluster as start, type EtcdCluster } from '@meshraft/etcd-reference';

export { EtcdStartError, type EtcdCluster } from '@meshraft/etcd-reference';

/** Starts members e1..eN in `dataDir` (an empty temporary directory) and waits until all are healthy. */
export function startEtcdCluster(dataDir: string, size = 3, attempts = 3, healthyWithinMs = 60_000): Promise<EtcdCluster> {
  return start({ dataDir, size, attempts, healthyWithinMs, extraArgs: ['--log-level', 'error'] });
}
