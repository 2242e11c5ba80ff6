/**
 * Test helper: the same client endpoint twice, serveEtcd over a local KV state machine and a
 * one-member real etcd 3.4 (/usr/bin/etcd), so a test can run its assertions on both.
 */
import { afterAll, beforeAll } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../../peer/__tests__/etcd-cluster.js';
import { tempDirs } from '../../peer/__tests__/peer-process.js';
import { createLocalKvClient } from '../../local-kv-client.js';
import type { KvClient } from '../../kv-client.js';
import { serveEtcd, type EtcdServer } from '../../etcd-server.js';
import { serviceCaller } from './service-caller.js';

export type Target = 'meshraft' | 'etcd';
export const TARGETS: readonly Target[] = ['meshraft', 'etcd'];

/**
 * Registers beforeAll/afterAll that start and stop both; the returned map holds host:port once
 * started. `served` is what meshraft serves (a test may wrap the local one to observe it).
 */
export function meshraftAndEtcd(served: KvClient = createLocalKvClient({ clusterId: 'c', memberId: 'm1' })): Record<Target, string> {
  const dirs = tempDirs();
  let etcd: EtcdCluster | undefined;
  let server: EtcdServer | undefined;
  const addresses = { meshraft: '', etcd: '' };
  beforeAll(async () => {
    server = await serveEtcd(served, { host: '127.0.0.1', port: 0 });
    addresses.meshraft = server.url.replace('http://', '');
    etcd = await startEtcdCluster(await dirs.make(), 1);
    addresses.etcd = etcd.urls[0]!.replace('http://', '');
    const kv = serviceCaller('KV', addresses.etcd);
    try {
      for (let i = 0; !(await kv.call('Range', { key: Buffer.from('x') }).then(() => true, () => false)); i++) {
        if (i > 100) throw new Error('etcd did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      kv.close();
    }
  }, 30_000);
  afterAll(async () => {
    // etcd first: a server close that hangs (a client a failed test left open) must not orphan it.
    await etcd?.kill();
    await server?.close();
    await dirs.cleanup();
  });
  return addresses;
}
