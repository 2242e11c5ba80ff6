/**
 * @module signaling-server
 * The meshraft signaling server: rooms keyed by cluster name, presence, signal relay and binary
 * frame relay between named peers, liveness pings, limits answered with typed error messages, and
 * `GET /healthz` / `GET /stats` on the same port. It never looks inside signals or frames (they
 * are end-to-end sealed when the room has a secret).
 *
 * All state (rooms, connections, timers) belongs to the server instance.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CLOSE_CODES,
  FATAL_ERROR_CODES,
  FRAME_TAG,
  SIGNALING_PROTOCOL_VERSION,
  decodeRelayFrame,
  parseClientMessage,
  type ClientMessage,
  type PeerId,
  type ServerLimitsInfo,
  type ServerMessage,
  type SignalingErrorCode,
} from './protocol.js';
import { TokenBucket } from './rate-limiter.js';
import { openRoomRecords } from './room-records.js';

export interface SignalingLimits {
  /** Largest binary relay frame (header included), default 1 MiB. */
  readonly maxFrameBytes: number;
  /** Largest JSON control message, default 64 KiB. */
  readonly maxJsonBytes: number;
  readonly maxPeersPerRoom: number;
  /** Messages (text or binary) per second per connection; burst = one second's worth. */
  readonly messagesPerSecond: number;
  /**
   * Backpressure: when a relayed frame leaves the target's socket buffer above this, the server
   * stops reading from the sender until that frame has been flushed to the target.
   */
  readonly relayHighWaterBytes: number;
  /** Target socket buffer above which relayed frames are dropped (TARGET_CONGESTED). */
  readonly maxBufferedBytes: number;
  /** WebSocket ping period; a connection that misses one full period is dropped. */
  readonly pingIntervalMs: number;
  /** A connection that has not joined a room by then is closed (JOIN_TIMEOUT). */
  readonly joinTimeoutMs: number;
  /** Open WebSocket connections in all; one more is answered RATE_LIMITED and closed. */
  readonly maxConnections: number;
  /** Open WebSocket connections from one remote address (the socket's, not X-Forwarded-For). */
  readonly maxConnectionsPerIp: number;
}

export const DEFAULT_LIMITS: SignalingLimits = {
  maxFrameBytes: 1024 * 1024,
  maxJsonBytes: 64 * 1024,
  maxPeersPerRoom: 64,
  messagesPerSecond: 5000,
  relayHighWaterBytes: 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  pingIntervalMs: 15_000,
  joinTimeoutMs: 10_000,
  maxConnections: 4096,
  maxConnectionsPerIp: 256,
};

/** Decides whether a join may use the server; a set of accepted tokens or a predicate. */
export type TokenCheck = ReadonlySet<string> | readonly string[] | ((token: string | undefined, room: string, peer: PeerId) => boolean);

export interface SignalingServerOptions {
  /** Mount on an existing HTTP server (the host keeps serving its own routes). */
  readonly server?: http.Server;
  /** Listen on this port when no `server` is given (0 = any free port). */
  readonly port?: number;
  readonly host?: string;
  /** WebSocket upgrade path, default `/signal`. With our own server any path is accepted. */
  readonly path?: string;
  readonly limits?: Partial<SignalingLimits>;
  readonly tokens?: TokenCheck;
  /** Log sink for rejected input and lifecycle (default: silent). */
  readonly log?: (line: string) => void;
  /**
   * Where each room's recorded cluster id is kept (a file, or a directory holding
   * signaling-rooms.json); default: in memory only, forgotten on restart (room-records.ts).
   */
  readonly data?: string;
}

export interface SignalingStats {
  readonly rooms: number;
  readonly peers: number;
  readonly connections: number;
  readonly relayedFrames: number;
  readonly relayedBytes: number;
  readonly relayedSignals: number;
  readonly droppedFrames: number;
  /** Times a sender was paused because its target was above `relayHighWaterBytes`. */
  readonly pauses: number;
  /** Connections refused by `maxConnections` / `maxConnectionsPerIp` (also in errors.RATE_LIMITED). */
  readonly refusedConnections: number;
  /** Rooms with a recorded cluster id, and announces of another id than the record. */
  readonly recordedRooms: number;
  readonly clusterConflicts: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly uptimeSeconds: number;
}

export interface SignalingServer {
  /** Port actually listened on (the host server's port when mounted). */
  readonly port: number;
  /** `ws://host:port/path` for local clients. */
  readonly url: string;
  stats(): SignalingStats;
  /**
   * Answer `GET /healthz` and `GET /stats`; true when handled. Called automatically on our own
   * server; a host server calls it from its request handler.
   */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /**
   * Graceful shutdown: refuse new connections, send close frames (1001) to everyone, wait up to
   * `graceMs` for clients to close, then terminate the rest and stop listening (own server only).
   */
  close(graceMs?: number): Promise<void>;
}

interface Conn {
  readonly ws: WebSocket;
  readonly bucket: TokenBucket;
  alive: boolean;
  room: Room | null;
  peer: PeerId | null;
  session: string | undefined;
  /** Time of the last error notice per code, so floods do not get one error per message. */
  readonly noticeAt: Map<SignalingErrorCode, number>;
  /** Congested targets this sender waits for; reading from it is paused while > 0. */
  pausedBy: number;
}

interface Room {
  readonly name: string;
  readonly members: Map<PeerId, Conn>;
}

/** The peer's address; IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`. */
function remoteIp(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const limits: SignalingLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? (() => {});
  const path = options.path ?? '/signal';
  const ownServer = !options.server;
  const httpServer = options.server ?? http.createServer();
  const rooms = new Map<string, Room>();
  const conns = new Set<Conn>();
  const errorCounts: Record<string, number> = {};
  const counters = { relayedFrames: 0, relayedBytes: 0, relayedSignals: 0, droppedFrames: 0, pauses: 0, refusedConnections: 0, clusterConflicts: 0 };
  const records = await openRoomRecords(options.data);
  for (const key of ['maxConnections', 'maxConnectionsPerIp'] as const) {
    const v = limits[key];
    if (!(v >= 1) || (!Number.isInteger(v) && v !== Infinity)) throw new RangeError(`limits.${key} must be an integer >= 1, got ${v}`);
  }
  /** Open connections per remote address. */
  const perIp = new Map<string, number>();
  const startedAt = Date.now();
  let closing = false;
  const limitsInfo: ServerLimitsInfo = {
    maxFrameBytes: limits.maxFrameBytes,
    maxPeersPerRoom: limits.maxPeersPerRoom,
    messagesPerSecond: limits.messagesPerSecond,
  };

  // ws enforces a hard cap by closing with 1009; ours is higher so ordinary oversize messages get
  // a typed FRAME_TOO_LARGE answer and the connection stays up.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(limits.maxFrameBytes, limits.maxJsonBytes) * 4 + 64 * 1024,
    perMessageDeflate: false,
  });

  const checkToken = (token: string | undefined, room: string, peer: PeerId): boolean => {
    const t = options.tokens;
    if (t === undefined) return true;
    if (typeof t === 'function') return t(token, room, peer);
    if (token === undefined) return false;
    return Array.isArray(t) ? t.includes(token) : (t as ReadonlySet<string>).has(token);
  };

  const send = (conn: Conn, msg: ServerMessage): void => {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(msg));
  };

  const fail = (conn: Conn, code: SignalingErrorCode, message: string, peer?: PeerId): void => {
    errorCounts[code] = (errorCounts[code] ?? 0) + 1;
    const fatal = FATAL_ERROR_CODES.has(code);
    // Repeated non-fatal errors are answered (and logged) at most once per second per code.
    const now = Date.now();
    if (!fatal && now - (conn.noticeAt.get(code) ?? -Infinity) < 1000) return;
    conn.noticeAt.set(code, now);
    log(`reject ${code} from ${conn.peer ?? '(unjoined)'}: ${message}`);
    send(conn, { type: 'error', code, message, ...(peer !== undefined ? { peer } : {}) });
    if (fatal) conn.ws.close(CLOSE_CODES.policy, code);
  };

  const broadcast = (room: Room, except: Conn, msg: ServerMessage): void => {
    const text = JSON.stringify(msg);
    for (const member of room.members.values()) {
      if (member !== except && member.ws.readyState === member.ws.OPEN) member.ws.send(text);
    }
  };

  const leave = (conn: Conn): void => {
    const room = conn.room;
    const peer = conn.peer;
    conn.room = null;
    conn.peer = null;
    if (!room || peer === null || room.members.get(peer) !== conn) return;
    room.members.delete(peer);
    broadcast(room, conn, { type: 'peer-left', peer });
    if (room.members.size === 0) rooms.delete(room.name);
  };

  const join = (conn: Conn, msg: Extract<ClientMessage, { type: 'join' }>): void => {
    if (conn.room) return fail(conn, 'ALREADY_JOINED', 'this connection already joined a room');
    if (msg.version !== undefined && msg.version !== SIGNALING_PROTOCOL_VERSION) {
      return fail(conn, 'VERSION_MISMATCH', `server speaks version ${SIGNALING_PROTOCOL_VERSION}`);
    }
    if (!checkToken(msg.token, msg.room, msg.peer)) return fail(conn, 'UNAUTHORIZED', 'missing or invalid token');
    let room = rooms.get(msg.room);
    const existing = room?.members.get(msg.peer);
    if (existing) {
      // Same client instance reconnecting before we noticed its old socket died: take over.
      if (msg.session !== undefined && existing.session === msg.session) {
        room!.members.delete(msg.peer);
        existing.room = null;
        existing.peer = null;
        existing.ws.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
      } else {
        return fail(conn, 'DUPLICATE_PEER', `peer id "${msg.peer}" is already in room`);
      }
    }
    if (room && room.members.size >= limits.maxPeersPerRoom) {
      return fail(conn, 'ROOM_FULL', `room has ${limits.maxPeersPerRoom} peers`);
    }
    if (!room) rooms.set(msg.room, (room = { name: msg.room, members: new Map() }));
    const peers = [...room.members.keys()];
    room.members.set(msg.peer, conn);
    conn.room = room;
    conn.peer = msg.peer;
    conn.session = msg.session;
    send(conn, { type: 'joined', room: msg.room, peer: msg.peer, peers, limits: limitsInfo, cluster: records.get(msg.room) ?? null });
    // A take-over keeps the peer present, so the others see no leave/join flap.
    if (!existing) broadcast(room, conn, { type: 'peer-joined', peer: msg.peer });
  };

  /** A member's cluster id: the room keeps the first; another one is reported to the room, not recorded. */
  const announceCluster = (conn: Conn, id: string): void => {
    const room = conn.room;
    if (!room || conn.peer === null) return fail(conn, 'NOT_JOINED', 'join a room first');
    const { result, durable } = records.claim(room.name, id);
    const held = records.get(room.name)!;
    if (result === 'same') return send(conn, { type: 'cluster', id });
    if (result === 'conflict') {
      counters.clusterConflicts++;
      log(`room ${room.name}: peer ${conn.peer} announced cluster id ${id}, but the room recorded ${held} (two histories under one name)`);
      for (const m of room.members.values()) send(m, { type: 'cluster', id: held, conflict: id });
      return;
    }
    log(`room ${room.name}: recorded cluster id ${id} (announced by ${conn.peer})`);
    // Told once durable, so a restarted server never contradicts what it said.
    durable
      .catch((err: unknown) => log(`room records: write to ${records.path} failed: ${String(err)}`))
      .then(() => {
        for (const m of room.members.values()) send(m, { type: 'cluster', id });
      });
  };

  const onText = (conn: Conn, bytes: Buffer): void => {
    if (bytes.length > limits.maxJsonBytes) return fail(conn, 'FRAME_TOO_LARGE', `JSON message above ${limits.maxJsonBytes} bytes`);
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail(conn, 'MALFORMED', 'not JSON');
    }
    const msg = parseClientMessage(value);
    if (!msg) return fail(conn, 'MALFORMED', 'not a valid client message');
    switch (msg.type) {
      case 'join':
        return join(conn, msg);
      case 'ping':
        return send(conn, msg.id !== undefined ? { type: 'pong', id: msg.id } : { type: 'pong' });
      case 'leave':
        return leave(conn);
      case 'cluster':
        return announceCluster(conn, msg.id);
      case 'signal': {
        if (!conn.room || conn.peer === null) return fail(conn, 'NOT_JOINED', 'join a room first');
        const target = conn.room.members.get(msg.to);
        if (!target) return fail(conn, 'UNKNOWN_TARGET', `no peer "${msg.to}" in room`, msg.to);
        counters.relayedSignals++;
        send(target, { type: 'signal', from: conn.peer, payload: msg.payload });
        return;
      }
    }
  };

  const onBinary = (conn: Conn, bytes: Buffer): void => {
    if (bytes.length > limits.maxFrameBytes) {
      return fail(conn, 'FRAME_TOO_LARGE', `frame of ${bytes.length} bytes above ${limits.maxFrameBytes}`);
    }
    if (!conn.room || conn.peer === null) return fail(conn, 'NOT_JOINED', 'join a room first');
    const frame = decodeRelayFrame(bytes);
    if (!frame) return fail(conn, 'MALFORMED', 'bad relay frame header');
    const target = conn.room.members.get(frame.peer);
    if (!target) return fail(conn, 'UNKNOWN_TARGET', `no peer "${frame.peer}" in room`, frame.peer);
    if (target.ws.bufferedAmount > limits.maxBufferedBytes) {
      counters.droppedFrames++;
      return fail(conn, 'TARGET_CONGESTED', `peer "${frame.peer}" is not reading fast enough`, frame.peer);
    }
    // Rewrite the header to name the source; the payload bytes are copied once.
    const source = Buffer.from(conn.peer, 'utf8');
    const out = Buffer.allocUnsafe(2 + source.length + frame.payload.length);
    out[0] = FRAME_TAG;
    out[1] = source.length;
    source.copy(out, 2);
    out.set(frame.payload, 2 + source.length);
    if (target.ws.bufferedAmount + out.length > limits.relayHighWaterBytes) {
      // Propagate backpressure to the sender instead of buffering without bound: stop reading
      // from it until this frame has reached the target's kernel buffer (or the target is gone).
      if (conn.pausedBy++ === 0) conn.ws.pause();
      counters.pauses++;
      target.ws.send(out, { binary: true }, () => {
        if (--conn.pausedBy === 0 && conn.ws.readyState === conn.ws.OPEN) conn.ws.resume();
      });
    } else {
      target.ws.send(out, { binary: true });
    }
    counters.relayedFrames++;
    counters.relayedBytes += frame.payload.length;
  };

  /**
   * Over a connection limit: the handshake already happened, so the client gets the typed
   * RATE_LIMITED answer (and backs off) instead of a bare refused socket.
   */
  const refuse = (ws: WebSocket, ip: string, message: string): void => {
    counters.refusedConnections++;
    errorCounts.RATE_LIMITED = (errorCounts.RATE_LIMITED ?? 0) + 1;
    log(`reject RATE_LIMITED from ${ip}: ${message}`);
    ws.on('error', () => {});
    ws.send(JSON.stringify({ type: 'error', code: 'RATE_LIMITED', message } satisfies ServerMessage));
    ws.close(CLOSE_CODES.policy, 'RATE_LIMITED');
    // A client that never answers the close must not hold the socket.
    setTimeout(() => ws.terminate(), 1000).unref();
  };

  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const ip = remoteIp(req);
    const fromIp = perIp.get(ip) ?? 0;
    if (conns.size >= limits.maxConnections) {
      return refuse(ws, ip, `server has ${limits.maxConnections} connections (maxConnections)`);
    }
    if (fromIp >= limits.maxConnectionsPerIp) {
      return refuse(ws, ip, `${limits.maxConnectionsPerIp} connections from ${ip} already (maxConnectionsPerIp)`);
    }
    perIp.set(ip, fromIp + 1);
    const conn: Conn = {
      ws, bucket: new TokenBucket(limits.messagesPerSecond), alive: true, room: null, peer: null,
      session: undefined, noticeAt: new Map(), pausedBy: 0,
    };
    conns.add(conn);
    // Sockets that never join would hold a slot forever.
    const joinTimer = setTimeout(() => {
      if (conn.room) return;
      errorCounts.JOIN_TIMEOUT = (errorCounts.JOIN_TIMEOUT ?? 0) + 1;
      ws.close(CLOSE_CODES.policy, 'JOIN_TIMEOUT');
    }, limits.joinTimeoutMs);
    joinTimer.unref();
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      if (!conn.bucket.take()) return fail(conn, 'RATE_LIMITED', `over ${limits.messagesPerSecond} messages/s`);
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      try {
        if (isBinary) onBinary(conn, buf);
        else onText(conn, buf);
      } catch (err) {
        // Defensive: a bug in handling one message must not take the server down.
        log(`internal error: ${String(err)}`);
      }
    });
    ws.on('close', () => {
      clearTimeout(joinTimer);
      conns.delete(conn);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
      leave(conn);
    });
    ws.on('error', (err) => log(`socket error: ${err.message}`));
  });

  const heartbeat = setInterval(() => {
    for (const conn of conns) {
      // We stopped reading from a paused sender, so its pongs are unread: do not judge it.
      if (conn.pausedBy > 0) conn.alive = true;
      if (!conn.alive) {
        errorCounts.TIMEOUT = (errorCounts.TIMEOUT ?? 0) + 1;
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, limits.pingIntervalMs);
  heartbeat.unref();

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (!ownServer && pathname !== path) return; // someone else's upgrade (e.g. Vite HMR)
    if (closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.on('error', () => {}); // resets during the handshake are not our problem
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  const stats = (): SignalingStats => {
    let peers = 0;
    for (const room of rooms.values()) peers += room.members.size;
    return {
      rooms: rooms.size, peers, connections: conns.size, ...counters, recordedRooms: records.size, errors: { ...errorCounts },
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  };

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
      clearInterval(heartbeat);
      httpServer.off('upgrade', onUpgrade);
      const all = [...conns];
      await Promise.all(all.map((c) => new Promise<void>((resolve) => {
        if (c.ws.readyState === c.ws.CLOSED) return resolve();
        const timer = setTimeout(() => {
          c.ws.terminate();
          resolve();
        }, graceMs);
        c.ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        c.ws.close(CLOSE_CODES.goingAway, 'server shutting down');
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
