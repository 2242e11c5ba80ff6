/**
 * @module signaling-server
 * The meshraft signaling server: rooms keyed by cluster name, presence, signal relay and binary
 * frame relay between named peers, liveness pings, limits answered with typed error messages, and
 * `GET /healthz` / `GET /stats` on the same port. It never looks inside signals or frames (they
 * are end-to-end sealed when the room has a secret).
 *
 * This file is the HTTP host: listening or mounting, the upgrade, the two routes and shutdown.
 * The rooms and relay are room-relay.ts, the recorded cluster ids room-records.ts. All state
 * (rooms, connections, timers) belongs to the server instance.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES } from './protocol.js';
import { createRoomRelay } from './room-relay.js';
import { openRoomRecords } from './room-records.js';
import { DEFAULT_LIMITS, type SignalingLimits, type SignalingServer, type SignalingServerOptions, type SignalingStats } from './signaling-options.js';

export * from './signaling-options.js';

export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits: SignalingLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? (() => {});
  const path = options.path ?? '/signal';
  const ownServer = !options.server;
  const httpServer = options.server ?? http.createServer();
  const records = await openRoomRecords(options.data);
  for (const key of ['maxConnections', 'maxConnectionsPerIp'] as const) {
    const v = limits[key];
    if (!(v >= 1) || (!Number.isInteger(v) && v !== Infinity)) throw new RangeError(`limits.${key} must be an integer >= 1, got ${v}`);
  }
  const relay = createRoomRelay({ limits, log, records, ...(options.tokens !== undefined ? { tokens: options.tokens } : {}) });
  const startedAt = Date.now();
  let closing = false;

  // ws enforces a hard cap by closing with 1009; ours is higher so ordinary oversize messages get
  // a typed FRAME_TOO_LARGE answer and the connection stays up.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(limits.maxFrameBytes, limits.maxJsonBytes) * 4 + 64 * 1024,
    perMessageDeflate: false,
  });

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (!ownServer && pathname !== path) return; // someone else's upgrade (e.g. Vite HMR)
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.on('error', () => {}); // resets during the handshake are not our problem
    wss.handleUpgrade(req, socket, head, (ws) => relay.accept(ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  const stats = (): SignalingStats => ({ ...relay.counts(), uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET' || (pathname !== '/healthz' && pathname !== '/stats')) return false;
    const body = pathname === '/healthz' ? { ok: !closing } : stats();
    res.writeHead(closing && pathname === '/healthz' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return true;
  };

  if (ownServer) {
    httpServer.on('request', (req, res) => {
      if (!handleRequest(req, res)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
      }
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    // Later server errors (EMFILE...) are logged; without a listener they would kill the process.
    httpServer.on('error', (err) => log(`http server error: ${err.message}`));
  }

  const address = (): AddressInfo | null => {
    const a = httpServer.address();
    return a && typeof a === 'object' ? a : null;
  };
  const port = address()?.port ?? options.port ?? 0;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';

  return {
    get port() {
      return address()?.port ?? port;
    },
    get url() {
      const h = host.includes(':') ? `[${host}]` : host;
      return `ws://${h}:${address()?.port ?? port}${path}`;
    },
    stats,
    handleRequest,
    async close(graceMs = 2000) {
      if (closing) return;
      closing = true;
      relay.stop();
      httpServer.off('upgrade', onUpgrade);
      await Promise.all(relay.sockets().map((ws) => new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, graceMs);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(CLOSE_CODES.goingAway, 'server shutting down');
      })));
      wss.close();
      if (ownServer) {
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeAllConnections(); // idle keep-alive sockets would hold close() open
        await stopped;
      }
      log('signaling server closed');
    },
  };
}
