/**
 * @module demo-server
 * One http.Server for the whole demo: the built page from dist/ and the signaling server mounted
 * on `/signal` (WebSocket upgrades, plus its /healthz and /stats).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';

export interface DemoServerOptions {
  readonly port?: number;
  readonly host?: string;
  /** The built page (dist/). */
  readonly root: string;
  /** Served as `GET /config.json`: defaults the page applies where its URL sets nothing. */
  readonly pageConfig?: PageConfig;
  /**
   * The signaling server's room records (`--data FILE|DIR`, as `pnpm signaling --data`): each
   * room's cluster id survives a restart. Default: memory only.
   */
  readonly data?: string;
}

/** What `pnpm demo` flags tell every page (`--ice-server`, `--ice-relay`). */
export interface PageConfig {
  /** `URL[,user,credential]` specs, as the page's `?ice=` takes them. */
  readonly ice: readonly string[];
  readonly iceRelay: boolean;
}

export interface DemoServer {
  /** `http://host:port/` as a browser should open it. */
  readonly url: string;
  readonly signalingUrl: string;
  readonly port: number;
  readonly signaling: SignalingServer;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.map': 'application/json',
};

function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  if (path.includes('\0')) {
    res.writeHead(400).end('bad path');
    return;
  }
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
    res.writeHead(403).end();
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) {
    // Every room is the same page: unknown paths without an extension get index.html.
    if (extname(path) !== '') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    file = join(root, 'index.html');
  }
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const root = normalize(options.root);
  const server = http.createServer();
  const signaling = await createSignalingServer({ server, path: '/signal', ...(options.data !== undefined ? { data: options.data } : {}) });
  const config = JSON.stringify(options.pageConfig ?? { ice: [], iceRelay: false });
  server.on('request', (req, res) => {
    if (signaling.handleRequest(req, res)) return;
    if (req.method === 'GET' && new URL(req.url ?? '/', 'http://x').pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(config);
      return;
    }
    serveStatic(root, req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`,
    signalingUrl: `ws://${shown.includes(':') ? `[${shown}]` : shown}:${port}/signal`,
    port,
    signaling,
    async close() {
      await signaling.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
