/**
 * @module protocol
 * The signaling wire protocol, shared by the server and the client in `@meshraft/transport`.
 *
 * Control messages are JSON text frames. Relayed cluster frames are binary WebSocket frames with a
 * compact header so the server never parses or copies payloads more than once:
 *
 *   byte 0      FRAME_TAG (0x01)
 *   byte 1      n = byte length of the peer id (1..MAX_PEER_ID_BYTES)
 *   bytes 2..   peer id, UTF-8: the TARGET when a client sends, the SOURCE when the server delivers
 *   rest        payload (opaque; end-to-end encrypted when the room has a secret)
 *
 * This file has no imports so browsers can load it without pulling in the server.
 */

export const SIGNALING_PROTOCOL_VERSION = 1;
export const FRAME_TAG = 0x01;
export const MAX_PEER_ID_BYTES = 64;
export const MAX_ROOM_BYTES = 128;

export type PeerId = string;

// ---- client -> server ----------------------------------------------------------------------

export interface JoinMessage {
  readonly type: 'join';
  readonly room: string;
  readonly peer: PeerId;
  /** Access token, required when the server is configured with tokens. */
  readonly token?: string;
  /**
   * Random per-client-instance id. A re-join with the same peer id AND session replaces the old
   * (possibly half-dead) connection instead of failing with DUPLICATE_PEER.
   */
  readonly session?: string;
  readonly version?: number;
}

/** Opaque payload for one named peer of the same room (SDP/ICE, usually encrypted). */
export interface SignalMessage {
  readonly type: 'signal';
  readonly to: PeerId;
  readonly payload: unknown;
}

export interface LeaveMessage {
  readonly type: 'leave';
}

/** Application-level liveness: browsers cannot see WebSocket ping frames. */
export interface PingMessage {
  readonly type: 'ping';
  readonly id?: number;
}

/**
 * This client's cluster id (32 hex digits): the room records the first one announced and keeps
 * it (see docs/runtime.md "Founding and forks"). Answered with a `cluster` message.
 */
export interface ClusterAnnounceMessage {
  readonly type: 'cluster';
  readonly id: string;
}

export type ClientMessage = JoinMessage | SignalMessage | LeaveMessage | PingMessage | ClusterAnnounceMessage;

// ---- server -> client ----------------------------------------------------------------------

export interface JoinedMessage {
  readonly type: 'joined';
  readonly room: string;
  readonly peer: PeerId;
  /** Other members of the room at the moment of joining. */
  readonly peers: readonly PeerId[];
  readonly limits: ServerLimitsInfo;
  /**
   * The cluster id this room recorded (the first announced), or null while it has none. Absent
   * from servers that keep no records.
   */
  readonly cluster?: string | null;
}

/**
 * The room's recorded cluster id: to the whole room when it is first recorded, to an announcer
 * of the same id, and to the whole room with `conflict` when someone announced another id (the
 * record stays: two histories under one name are reported, never merged).
 */
export interface ClusterRecordMessage {
  readonly type: 'cluster';
  readonly id: string;
  readonly conflict?: string;
}

export interface PeerJoinedMessage {
  readonly type: 'peer-joined';
  readonly peer: PeerId;
}

export interface PeerLeftMessage {
  readonly type: 'peer-left';
  readonly peer: PeerId;
}

export interface SignalDeliveryMessage {
  readonly type: 'signal';
  readonly from: PeerId;
  readonly payload: unknown;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly id?: number;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: SignalingErrorCode;
  readonly message: string;
  /** The peer the failed message was addressed to, when there was one (UNKNOWN_TARGET...). */
  readonly peer?: PeerId;
}

export type ServerMessage =
  | JoinedMessage
  | PeerJoinedMessage
  | PeerLeftMessage
  | SignalDeliveryMessage
  | PongMessage
  | ErrorMessage
  | ClusterRecordMessage;

export interface ServerLimitsInfo {
  readonly maxFrameBytes: number;
  readonly maxPeersPerRoom: number;
  readonly messagesPerSecond: number;
}

/**
 * Error codes the server sends in `error` messages. Fatal ones (marked) are followed by a close.
 * - MALFORMED: not JSON, unknown type, missing/invalid fields, bad binary header.
 * - FRAME_TOO_LARGE: message above `maxFrameBytes` (binary) or the JSON limit.
 * - ROOM_FULL: join refused, the room has `maxPeersPerRoom` members (fatal).
 * - RATE_LIMITED: more than `messagesPerSecond`; the message was dropped. Also the answer to a
 *   connection over `maxConnections` or `maxConnectionsPerIp`, which is then closed (1008).
 * - UNKNOWN_TARGET: signal/frame addressed to a peer not in the room; dropped.
 * - DUPLICATE_PEER: another live connection holds this peer id in the room (fatal).
 * - UNAUTHORIZED: missing or wrong access token (fatal).
 * - NOT_JOINED: signal/frame before a successful join.
 * - ALREADY_JOINED: a second join on the same connection.
 * - TARGET_CONGESTED: the target's socket buffer is full; frame dropped.
 * - VERSION_MISMATCH: the client speaks another protocol version (fatal).
 */
export type SignalingErrorCode =
  | 'MALFORMED'
  | 'FRAME_TOO_LARGE'
  | 'ROOM_FULL'
  | 'RATE_LIMITED'
  | 'UNKNOWN_TARGET'
  | 'DUPLICATE_PEER'
  | 'UNAUTHORIZED'
  | 'NOT_JOINED'
  | 'ALREADY_JOINED'
  | 'TARGET_CONGESTED'
  | 'VERSION_MISMATCH';

export const FATAL_ERROR_CODES: ReadonlySet<SignalingErrorCode> = new Set<SignalingErrorCode>([
  'ROOM_FULL',
  'DUPLICATE_PEER',
  'UNAUTHORIZED',
  'VERSION_MISMATCH',
]);

/** WebSocket close codes the server uses. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** A fatal error message was sent just before. */
  policy: 1008,
  tooBig: 1009,
  /** Another connection with the same peer id and session took over. */
  replaced: 4000,
  /** Missed liveness pings. */
  timeout: 4001,
} as const;

// ---- validation & binary header -------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** A cluster id as the runtime mints them: 32 lowercase hex digits. */
export function isClusterIdText(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);
}

/** Peer ids and room names: non-empty, bounded, no control characters. */
export function isValidPeerId(value: unknown): value is PeerId {
  return typeof value === 'string' && value.length > 0 && !/[\u0000-\u001f\u007f]/.test(value) &&
    utf8Length(value) <= MAX_PEER_ID_BYTES;
}

export function isValidRoom(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !/[\u0000-\u001f\u007f]/.test(value) &&
    utf8Length(value) <= MAX_ROOM_BYTES;
}

/** Build a binary relay frame: header naming `peer` (target or source) followed by `payload`. */
export function encodeRelayFrame(peer: PeerId, payload: Uint8Array): Uint8Array {
  const id = encoder.encode(peer);
  if (id.length === 0 || id.length > MAX_PEER_ID_BYTES) throw new RangeError(`bad peer id length ${id.length}`);
  const out = new Uint8Array(2 + id.length + payload.length);
  out[0] = FRAME_TAG;
  out[1] = id.length;
  out.set(id, 2);
  out.set(payload, 2 + id.length);
  return out;
}

export interface RelayFrame {
  readonly peer: PeerId;
  /** A view into the input (no copy). */
  readonly payload: Uint8Array;
  /** Byte length of the header, so a relay can reuse the payload bytes. */
  readonly headerBytes: number;
}

/** Parse a binary relay frame header; returns null when the bytes are not a valid frame. */
export function decodeRelayFrame(bytes: Uint8Array): RelayFrame | null {
  if (bytes.length < 3 || bytes[0] !== FRAME_TAG) return null;
  const n = bytes[1]!;
  if (n === 0 || n > MAX_PEER_ID_BYTES || bytes.length < 2 + n) return null;
  let peer: string;
  try {
    peer = decoder.decode(bytes.subarray(2, 2 + n));
  } catch {
    return null;
  }
  if (!isValidPeerId(peer)) return null;
  return { peer, payload: bytes.subarray(2 + n), headerBytes: 2 + n };
}

/** Validate a parsed JSON value as a client message; returns null when it is not one. */
export function parseClientMessage(value: unknown): ClientMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'join':
      if (!isValidRoom(m.room) || !isValidPeerId(m.peer)) return null;
      if (m.token !== undefined && typeof m.token !== 'string') return null;
      if (m.session !== undefined && (typeof m.session !== 'string' || m.session.length > 128)) return null;
      if (m.version !== undefined && typeof m.version !== 'number') return null;
      return m as unknown as JoinMessage;
    case 'signal':
      if (!isValidPeerId(m.to) || !('payload' in m)) return null;
      return m as unknown as SignalMessage;
    case 'leave':
      return { type: 'leave' };
    case 'ping':
      return m.id === undefined || typeof m.id === 'number' ? (m as unknown as PingMessage) : null;
    case 'cluster':
      return isClusterIdText(m.id) ? { type: 'cluster', id: m.id } : null;
    default:
      return null;
  }
}

/** Validate a parsed JSON value as a server message; returns null when it is not one. */
export function parseServerMessage(value: unknown): ServerMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'joined':
      return typeof m.room === 'string' && typeof m.peer === 'string' && Array.isArray(m.peers) &&
        m.peers.every(isValidPeerId) && typeof m.limits === 'object' && m.limits !== null
        ? (m as unknown as JoinedMessage)
        : null;
    case 'peer-joined':
    case 'peer-left':
      return isValidPeerId(m.peer) ? (m as unknown as PeerJoinedMessage | PeerLeftMessage) : null;
    case 'signal':
      return isValidPeerId(m.from) && 'payload' in m ? (m as unknown as SignalDeliveryMessage) : null;
    case 'pong':
      return m as unknown as PongMessage;
    case 'cluster':
      return isClusterIdText(m.id) && (m.conflict === undefined || isClusterIdText(m.conflict)) ? (m as unknown as ClusterRecordMessage) : null;
    case 'error':
      return typeof m.code === 'string' && typeof m.message === 'string' ? (m as unknown as ErrorMessage) : null;
    default:
      return null;
  }
}
