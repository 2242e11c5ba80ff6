/**
 * @module peer-http
 * The etcd v3 JSON gateway (and GET /metrics) on a node:http server for a peer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcdGateway, type KvClient } from '../index.js';
import type { MetricsSource } from '../metrics.js';
import type { HttpAddress } from './peer-args.js';

export interface PeerHttpServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenEtcdGateway(kv: KvClient & MetricsSource, address: HttpAddress): Promise<PeerHttpServer> {
  const server: Server = createServer(createEtcdGateway(kv, { metrics: kv }));
  // Keep idle keep-alive sockets longer than Node's 5 s default: a client reusing one just as the
  // server closes it sees a reset, which an etcd client reports as a failed request.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address: host } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Watch streams and idle keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  };
}
