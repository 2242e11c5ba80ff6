/**
 * @module relay-transport
 * A Transport over the signaling server's binary frame relay: always available when the server
 * is, used where a WebRTC data channel cannot open. Frames are in order per pair (one WebSocket
 * each way through one server) and sealed end to end when the signaling client has a room secret.
 *
 * Each relayed payload starts with one kind byte: DATA, PING (8-byte send time) or PONG (the
 * echoed PING body), so RTT is measured on the same path as the data. A frame larger than one
 * relayed message goes as FRAG_START + FRAG_CONT pieces (relay/fragments), up to maxFrameBytes.
 */
import { MAX_PEER_ID_BYTES, type ServerLimitsInfo } from '@meshraft/signaling-server/protocol';
import { Emitter } from '../emitter.js';
import { every, realScheduler, type Scheduler } from '../scheduler.js';
import { MalformedFrameError } from '../errors.js';
import { fragment, Reassembler } from './fragments.js';
import { SEAL_OVERHEAD } from '../signaling/room-crypto.js';
import { createSignalingClient, type SignalingClient, type SignalingClientOptions } from '../signaling/signaling-client.js';
import type { LinkInfo, LinkState, PeerId, Transport, TransportEvents } from '../transport.js';

const DATA = 0;
const PING = 1;
const PONG = 2;
const FRAG_START = 3;
const FRAG_CONT = 4;

/** Default largest frame, fragmented or not (the WebRTC transport's default too). */
export const DEFAULT_RELAY_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface RelayTransportOptions {
  /** An existing signaling client (shared, e.g. with the WebRTC transport) or options to create one. */
  readonly signaling: SignalingClient | SignalingClientOptions;
  /** RTT probe period per peer (default 2000 ms). */
  readonly pingIntervalMs?: number;
  /** Close the signaling client on close() (default: only when this transport created it). */
  readonly closeSignaling?: boolean;
  /** Timers and clock for pings and RTT (default: real ones). */
  readonly scheduler?: Scheduler;
  /**
   * Largest frame send() accepts and a receiver reassembles (default 16 MiB). Frames above the
   * server's message limit are sent in pieces.
   */
  readonly maxFrameBytes?: number;
}

export interface RelayTransport extends Transport {
  readonly signaling: SignalingClient;
  /** Largest frame send() accepts (the maxFrameBytes option; null before the first join). */
  maxFrameBytes(): number | null;
}

/** The largest piece that fits in one relayed WebSocket message under `limits` (larger frames are fragmented). */
export function relayMaxFrameBytes(limits: ServerLimitsInfo): number {
  return limits.maxFrameBytes - 2 - MAX_PEER_ID_BYTES - 1 - SEAL_OVERHEAD;
}

function isSignalingClient(s: SignalingClient | SignalingClientOptions): s is SignalingClient {
  return typeof (s as SignalingClient).sendFrame === 'function';
}

export function createRelayTransport(options: RelayTransportOptions): RelayTransport {
  const owned = !isSignalingClient(options.signaling);
  const signaling = isSignalingClient(options.signaling) ? options.signaling : createSignalingClient(options.signaling);
  const closeSignaling = options.closeSignaling ?? owned;
  const pingMs = options.pingIntervalMs ?? 2000;
  const scheduler = options.scheduler ?? realScheduler;
  const now = (): number => scheduler.now();
  const events = new Emitter<TransportEvents>();
  const up = new Set<PeerId>();
  const rtt = new Map<PeerId, number>();
  let closed = false;
  const maxFrame = options.maxFrameBytes ?? DEFAULT_RELAY_MAX_FRAME_BYTES;
  const pieces = new Reassembler(maxFrame);

  const state = (): LinkState => (signaling.status() === 'joined' ? 'relay' : 'connecting');
  const info = (peer: PeerId): LinkInfo => ({ peer, state: state(), rttMs: rtt.get(peer) ?? null });

  const sendKind = (to: PeerId, kind: number, body: Uint8Array): boolean => {
    const out = new Uint8Array(1 + body.length);
    out[0] = kind;
    out.set(body, 1);
    return signaling.sendFrame(to, out);
  };

  const ping = (peer: PeerId): void => {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setFloat64(0, now());
    sendKind(peer, PING, body);
  };

  const peerUp = (peer: PeerId): void => {
    if (closed || up.has(peer)) return;
    up.add(peer);
    events.emit('peer-up', peer);
    events.emit('link', info(peer));
    ping(peer);
  };

  const peerDown = (peer: PeerId): void => {
    pieces.drop(peer);
    if (!up.delete(peer)) return;
    rtt.delete(peer);
    events.emit('peer-down', peer);
    events.emit('link', { peer, state: 'down', rttMs: null });
  };

  const offs = [
    signaling.on('joined', (peers) => {
      // After a reconnect a partial frame's other pieces will not come.
      pieces.clear();
      peers.forEach(peerUp);
    }),
    signaling.on('peer-joined', peerUp),
    signaling.on('peer-left', peerDown),
    signaling.on('status', () => {
      for (const peer of up) events.emit('link', info(peer));
    }),
    signaling.on('error', (err) => events.emit('error', err)),
    signaling.on('frame', (from, payload) => {
      if (closed) return;
      const kind = payload[0];
      const body = payload.subarray(1);
      if (kind === DATA || kind === FRAG_START || kind === FRAG_CONT) {
        let frame: Uint8Array | undefined = body;
        try {
          if (kind === DATA) pieces.drop(from);
          else frame = kind === FRAG_START ? pieces.start(from, body) : pieces.cont(from, body);
        } catch (err) {
          events.emit('error', err as Error);
          return;
        }
        if (!frame) return;
        // A frame can overtake the presence event of its sender only across a reconnect.
        if (!up.has(from)) peerUp(from);
        events.emit('frame', from, frame);
      } else if (kind === PING && body.length === 8) {
        sendKind(from, PONG, body);
      } else if (kind === PONG && body.length === 8) {
        const sent = new DataView(body.buffer, body.byteOffset, 8).getFloat64(0);
        rtt.set(from, Math.max(0, now() - sent));
        if (up.has(from)) events.emit('link', info(from));
      } else {
        events.emit('error', new MalformedFrameError(`unknown relay frame kind ${String(kind)} from "${from}"`));
      }
    }),
  ];

  // Presence known before this transport existed is announced asynchronously, so callers can
  // attach listeners first.
  scheduler.setTimeout(() => {
    if (signaling.status() === 'joined') signaling.peers().forEach(peerUp);
  }, 0);

  const stopPings = every(scheduler, pingMs, () => {
    if (signaling.status() === 'joined') up.forEach(ping);
  });

  return {
    self: signaling.self,
    signaling,
    room: signaling.clusterRecord,
    send(to, frame) {
      if (closed || !up.has(to)) return false;
      const limits = signaling.limits();
      const piece = limits ? relayMaxFrameBytes(limits) : Infinity;
      if (frame.length <= piece) return sendKind(to, DATA, frame);
      if (frame.length > maxFrame) return false;
      const { start, rest } = fragment(frame, piece);
      // A refused piece leaves a partial frame at the receiver, dropped by the next frame.
      return sendKind(to, FRAG_START, start) && rest.every((p) => sendKind(to, FRAG_CONT, p));
    },
    on: (event, listener) => events.on(event, listener),
    links: () => [...up].map(info),
    maxFrameBytes() {
      return signaling.limits() ? maxFrame : null;
    },
    async close() {
      if (closed) return;
      closed = true;
      stopPings();
      offs.forEach((off) => off());
      up.clear();
      events.clear();
      if (closeSignaling) await signaling.close();
    },
  };
}
