/** serveEtcd over a local KV state machine with an `etcd3` client, for in-process gRPC tests. */
import { afterEach } from 'vitest';
import { Etcd3 } from 'etcd3';
import { createLocalKvClient, type LocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';

export interface LocalEtcd {
  readonly kv: LocalKvClient;
  readonly client: Etcd3;
  readonly server: EtcdServer;
  /** host:port of the server, for clients other than etcd3. */
  readonly address: string;
}

/** Registers an afterEach that closes what the returned `start` opened in the test. */
export function localEtcdPerTest(): () => Promise<LocalEtcd> {
  let server: EtcdServer | undefined;
  let client: Etcd3 | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });
  return async () => {
    const kv = createLocalKvClient({ clusterId: 'c', memberId: 'm1' });
    server = await serveEtcd(kv, { host: '127.0.0.1', port: 0 });
    const address = server.url.replace('http://', '');
    client = new Etcd3({ hosts: address, dialTimeout: 10_000 });
    return { kv, client, server, address };
  };
}
