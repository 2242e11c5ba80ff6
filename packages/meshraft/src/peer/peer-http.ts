/**
 * @module peer-http
 * The etcd v3 JSON gateway (and GET /metrics) on a node:http server for a peer. The port is bound
 * first (`bindHttp`), before the peer creates any state, so a port in use fails the start cleanly;
 * the gateway is attached once the node runs, and until then requests get 503.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcdGateway, type KvClient } from '../etcd/index.js';
import type { MetricsSource } from '../etcd/metrics.js';
import type { HttpAddress } from './peer-args.js';
import { ListenError } from './peer-errors.js';

export interface PeerHttpServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface BoundHttpServer extends PeerHttpServer {
  /** Starts answering with the etcd gateway over `kv`. */
  serve(kv: KvClient & MetricsSource): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const starting: Handler = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end('{"error":"the peer is starting","code":14,"message":"the peer is starting"}'); // gRPC Unavailable, as etcd-errors.ts answers
};

/** Binds `address` (as `flag` names it in errors); rejects with ListenError. */
export async function bindHttp(address: HttpAddress, flag = '--http'): Promise<BoundHttpServer> {
  let handler: Handler = starting;
  const server: Server = createServer((req, res) => handler(req, res));
  // Keep idle keep-alive sockets longer than Node's 5 s default: a client reusing one just as the
  // server closes it sees a reset, which an etcd client reports as a failed request.
  server.keepAliveTimeout = 30_000;
  const shown = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(flag, shown(address.host, address.port), err)));
    server.listen(address.port, address.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const { port, address: host } = server.address() as AddressInfo;
  return {
    url: `http://${shown(host, port)}`,
    port,
    serve(kv) {
      handler = createEtcdGateway(kv, { metrics: kv });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Watch streams and idle keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  };
}

export async function listenEtcdGateway(kv: KvClient & MetricsSource, address: HttpAddress): Promise<PeerHttpServer> {
  const bound = await bindHttp(address);
  bound.serve(kv);
  return bound;
}
