/** Test helper: the gateway on a real node:http server bound to loopback. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcdGateway, type EtcdGatewayOptions } from '../etcd-gateway.js';
import { createLocalKvClient, type LocalKvClient } from '../../local-kv-client.js';
import type { KvClient } from '../../kv-client.js';

export interface GatewayServer {
  readonly url: string;
  readonly client: LocalKvClient;
  /** POST a JSON body (or raw text) and return status and parsed JSON. */
  post(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: unknown) => Buffer.from(String(s), 'base64').toString('utf8');

export async function startGateway(
  options: EtcdGatewayOptions = {},
  wrap: (c: LocalKvClient) => KvClient = (c) => c,
): Promise<GatewayServer> {
  const client = createLocalKvClient({ clusterId: '12585971608760269493', memberId: 'node-a', term: 3 });
  const server: Server = createServer(createEtcdGateway(wrap(client), options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    client,
    async post(path, body) {
      const res = await fetch(url + path, {
        method: 'POST',
        body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
