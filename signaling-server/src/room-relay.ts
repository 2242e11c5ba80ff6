/**
 * @module room-relay
 * The rooms behind the signaling server: one handler per upgraded WebSocket for join/leave and
 * presence, signal and binary frame relay (with backpressure), cluster id announces checked
 * against the room records, per-connection rate limits, connection limits and liveness pings.
 * It knows nothing of HTTP; signaling-server.ts hosts it.
 */
import type http from 'node:http';
import type { RawData, WebSocket } from 'ws';
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
import type { RoomRecords } from './room-records.js';
import type { SignalingLimits, SignalingStats, TokenCheck } from './signaling-options.js';

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

export interface RoomRelayOptions {
  readonly limits: SignalingLimits;
  readonly log: (line: string) => void;
  readonly tokens?: TokenCheck;
  readonly records: RoomRecords;
}

export interface RoomRelay {
  /** Serve one upgraded WebSocket until it closes. */
  accept(ws: WebSocket, req: http.IncomingMessage): void;
  /** The stats the relay keeps (all but the host's uptime). */
  counts(): Omit<SignalingStats, 'uptimeSeconds'>;
  /** The open sockets, for a graceful shutdown. */
  sockets(): WebSocket[];
  /** Stop the liveness pings. */
  stop(): void;
}

export function createRoomRelay(options: RoomRelayOptions): RoomRelay {
  const { limits, log, records } = options;
  const rooms = new Map<string, Room>();
  const conns = new Set<Conn>();
  const errorCounts: Record<string, number> = {};
  const counters = { relayedFrames: 0, relayedBytes: 0, relayedSignals: 0, droppedFrames: 0, pauses: 0, refusedConnections: 0, clusterConflicts: 0 };
  /** Open connections per remote address. */
  const perIp = new Map<string, number>();
  const limitsInfo: ServerLimitsInfo = {
    maxFrameBytes: limits.maxFrameBytes,
    maxPeersPerRoom: limits.maxPeersPerRoom,
    messagesPerSecond: limits.messagesPerSecond,
  };

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

  const accept = (ws: WebSocket, req: http.IncomingMessage): void => {
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
  };

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

  const counts = (): Omit<SignalingStats, 'uptimeSeconds'> => {
    let peers = 0;
    for (const room of rooms.values()) peers += room.members.size;
    return { rooms: rooms.size, peers, connections: conns.size, ...counters, recordedRooms: records.size, errors: { ...errorCounts } };
  };

  return {
    accept,
    counts,
    sockets: () => [...conns].map((c) => c.ws),
    stop: () => clearInterval(heartbeat),
  };
}
