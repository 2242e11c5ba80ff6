/**
 * @module signaling-options
 * The signaling server's public shapes: its limits (and their defaults), options, stats and the
 * handle `createSignalingServer` returns. Kept apart so the relay and the HTTP host share them.
 */
import type http from 'node:http';
import type { PeerId } from './protocol.js';

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
