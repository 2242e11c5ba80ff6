/**
 * @module webrtc/webrtc-transport
 * The WebRTC transport: a full mesh of data channels among the members of one signaling room,
 * with the signaling server's frame relay as fallback. The application sees one Transport; per
 * peer, frames travel over whichever path works now (`links()` says which).
 *
 * Per peer:
 * - The lower peer id offers (so two peers never race) and owns reconnection: exponential backoff
 *   with jitter after a drop. The higher id answers, and sends a `hello` when it has no link (it
 *   joined late, restarted, or its link dropped) so the offerer need not wait for its own timer.
 * - Offers carry a generation number; signals of an older generation are ignored, so a late ICE
 *   candidate never reaches a newer connection.
 * - State: `connecting` (frames wait in a bounded queue), `webrtc` (a data channel is open),
 *   `relay` (frames go through the signaling server), `down` (not in the room / closed). A peer
 *   falls back to the relay when no channel opened within `relayFallbackMs`, when WebRTC is not
 *   available, with `forceRelay`, or at once after an open channel drops; it switches back as
 *   soon as a channel opens.
 * - `links()` says why a peer is on the relay (`relayReason`, from how far ICE got on the last
 *   attempt) and, on WebRTC, the candidate types in use (`route`; `relay` = through TURN). A
 *   change of either is a `link` event too.
 * - RTT: pings on the data channel; on the relay, the relay transport's own pings.
 *
 * The relay path is the relay transport (`../relay`), sharing this signaling client, so a peer
 * that only runs the relay transport (no WebRTC at all) still talks to this one.
 */
import type { PeerId } from '@meshraft/signaling-server/protocol';
import type { BackoffOptions } from '../backoff.js';
import { Emitter } from '../emitter.js';
import { FrameTooLargeError } from '../errors.js';
import { createRelayTransport, type RelayTransport } from '../relay/relay-transport.js';
import { every, realScheduler, type Scheduler } from '../scheduler.js';
import { createSignalingClient, type SignalingClient, type SignalingClientOptions } from '../signaling/signaling-client.js';
import type { LinkInfo, LinkState, RelayReason, Transport, TransportEvents } from '../transport.js';
import type { RoomRecord } from '../room-record.js';
import { MIN_CHUNK_SIZE } from './chunk-codec.js';
import { BadOptionsError, PeerLinkError, QueueFullError, WebRtcUnavailableError } from './errors.js';
import type { WrtcLike } from './peer-link.js';
import { PeerSession, type RtcSignal, type SessionHost, type SessionOptions } from './peer-session.js';
import { watchWake, type WakeDetectorOptions } from './wake-detector.js';

export interface WebRtcTransportOptions {
  /** A signaling client for the cluster's room (shared), or options to create one. */
  readonly signaling: SignalingClient | SignalingClientOptions;
  /** Close the signaling client on close() (default: only when this transport created it). */
  readonly closeSignaling?: boolean;
  /** Node: `@roamhq/wrtc` (or any object with the three RTC constructors). Browsers: omit. */
  readonly wrtc?: WrtcLike;
  /** STUN/TURN servers. Default none: host candidates only (same LAN / same machine). */
  readonly iceServers?: readonly RTCIceServer[];
  /** `'relay'`: gather TURN candidates only (every direct link goes through a TURN server). Default `'all'`. */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** Largest data-channel message, header included. Default 16 KiB. */
  readonly chunkSize?: number;
  /** Largest frame `send` accepts (and a peer may announce). Default 16 MiB. */
  readonly maxFrameBytes?: number;
  /** Per-peer bound on frames waiting to be written; beyond it `send` returns false. Default 4 MiB. */
  readonly maxQueuedBytes?: number;
  /** Stop writing to a channel while it buffers this many bytes. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** Use the relay for a peer whose data channel has not opened after this many ms. Default 5000. */
  readonly relayFallbackMs?: number;
  /** Never use WebRTC: every frame goes through the relay. */
  readonly forceRelay?: boolean;
  /**
   * An offer whose channel has not opened after this many ms is abandoned and retried with
   * backoff (a lost signal would otherwise leave it pending forever). Default 15 000.
   */
  readonly connectTimeoutMs?: number;
  /** Ping period for RTT and liveness; a channel that answers none of 3 pings is dropped. Default 2000. */
  readonly pingIntervalMs?: number;
  /** Reconnect backoff for data channels. Default 250 ms doubling to 30 s, half jittered. */
  readonly reconnect?: BackoffOptions;
  /** Random source in [0, 1) for backoff jitter (inject a seeded one in tests). */
  readonly random?: () => number;
  /** The clock for every timer and RTT measure (inject a fake one in tests). Default the system's. */
  readonly scheduler?: Scheduler;
  /** Sleep/`online` detection (reconnect at once on wake); `false` turns it off. */
  readonly wake?: WakeDetectorOptions | false;
}

const DEFAULTS = {
  chunkSize: 16 * 1024,
  maxFrameBytes: 16 * 1024 * 1024,
  maxQueuedBytes: 4 * 1024 * 1024,
  highWaterMark: 1024 * 1024,
  relayFallbackMs: 5000,
  connectTimeoutMs: 15_000,
  pingIntervalMs: 2000,
} as const;

/** Creates the WebRTC transport. Throws BadOptionsError for out-of-range options. */
export function createWebRtcTransport(options: WebRtcTransportOptions): Transport {
  return new WebRtcTransport(options);
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new BadOptionsError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function isRtcSignal(payload: unknown): payload is RtcSignal {
  if (typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  switch (p.w) {
    case 'rtc':
      return typeof p.g === 'number' && 'd' in p;
    case 'hello':
      return true;
    default:
      return false;
  }
}

/** The RTCPeerConnection simple-peer would use here, or null when there is none. */
function rtcAvailable(wrtc: WrtcLike | undefined): boolean {
  if (wrtc) return typeof wrtc.RTCPeerConnection === 'function';
  return typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function';
}

class WebRtcTransport implements Transport {
  readonly self: PeerId;
  readonly #signaling: SignalingClient;
  readonly #closeSignaling: boolean;
  readonly #relay: RelayTransport;
  readonly #opts: WebRtcTransportOptions;
  readonly #chunkSize: number;
  readonly #maxFrameBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #highWaterMark: number;
  readonly #relayFallbackMs: number;
  readonly #connectTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #useRtc: boolean;
  readonly #rtcAvailable: boolean;
  readonly #events = new Emitter<TransportEvents>();
  readonly #peers = new Map<PeerId, PeerSession>();
  readonly #sessionOptions: SessionOptions;
  readonly #host: SessionHost;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #stopPing: () => void;
  readonly #scheduler: Scheduler;
  #closed = false;
  #nonce = 0;

  constructor(options: WebRtcTransportOptions) {
    this.#opts = options;
    this.#scheduler = options.scheduler ?? realScheduler;
    const given = options.signaling;
    const owned = typeof (given as SignalingClient).sendFrame !== 'function';
    this.#signaling = owned ? createSignalingClient(given as SignalingClientOptions) : (given as SignalingClient);
    this.#closeSignaling = options.closeSignaling ?? owned;
    this.self = this.#signaling.self;
    this.#chunkSize = positiveInt('chunkSize', options.chunkSize, DEFAULTS.chunkSize, MIN_CHUNK_SIZE);
    this.#maxFrameBytes = positiveInt('maxFrameBytes', options.maxFrameBytes, DEFAULTS.maxFrameBytes, 0);
    this.#maxQueuedBytes = positiveInt('maxQueuedBytes', options.maxQueuedBytes, DEFAULTS.maxQueuedBytes);
    this.#highWaterMark = positiveInt('highWaterMark', options.highWaterMark, DEFAULTS.highWaterMark);
    this.#relayFallbackMs = positiveInt('relayFallbackMs', options.relayFallbackMs, DEFAULTS.relayFallbackMs, 0);
    this.#connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs);
    this.#pingIntervalMs = positiveInt('pingIntervalMs', options.pingIntervalMs, DEFAULTS.pingIntervalMs);
    const policy = options.iceTransportPolicy ?? 'all';
    if (policy !== 'all' && policy !== 'relay') throw new BadOptionsError(`iceTransportPolicy must be 'all' or 'relay', got ${String(policy)}`);
    const available = rtcAvailable(options.wrtc);
    this.#rtcAvailable = available;
    this.#useRtc = available && options.forceRelay !== true;
    this.#sessionOptions = {
      scheduler: this.#scheduler,
      queue: { maxQueuedBytes: this.#maxQueuedBytes, highWaterMark: this.#highWaterMark, chunkSize: this.#chunkSize, maxFrameBytes: this.#maxFrameBytes },
      maxFrameBytes: this.#maxFrameBytes,
      iceServers: options.iceServers ?? [],
      iceTransportPolicy: policy,
      wrtc: options.wrtc,
      lowWaterMark: this.#highWaterMark / 4,
      relayFallbackMs: this.#relayFallbackMs,
      connectTimeoutMs: this.#connectTimeoutMs,
      reconnect: { ...(options.random ? { random: options.random } : {}), ...options.reconnect },
      useRtc: this.#useRtc,
    };
    this.#host = {
      live: (p) => !this.#closed && this.#peers.get(p.id) === p,
      signal: (to, payload: RtcSignal) => this.#signaling.sendSignal(to, payload),
      reevaluate: (p) => this.#reevaluate(p),
      deliver: (from, frame) => this.#deliver(from, frame),
      report: (err) => this.#report(err),
      remove: (peer) => this.#removePeer(peer),
      linkChanged: (p) => this.#reportLink(p),
      nextNonce: () => (this.#nonce = (this.#nonce + 1) >>> 0),
    };
    if (!available && options.forceRelay !== true) {
      // Reported after construction so a listener attached right away still sees it.
      queueMicrotask(() => this.#report(new WebRtcUnavailableError()));
    }

    const s = this.#signaling;
    this.#relay = createRelayTransport({ signaling: s, closeSignaling: false, pingIntervalMs: this.#pingIntervalMs, scheduler: this.#scheduler, maxFrameBytes: this.#maxFrameBytes });
    this.#unsubscribe.push(
      s.on('peer-joined', (peer) => this.#addPeer(peer)),
      s.on('peer-left', (peer) => this.#onPeerLeft(peer)),
      s.on('joined', (peers) => this.#onJoined(peers)),
      s.on('status', () => this.#reevaluateAll()),
      s.on('signal', (from, payload) => this.#onSignal(from, payload)),
      this.#relay.on('frame', (from, frame) => this.#deliver(from, frame)),
      this.#relay.on('error', (err) => this.#report(err)),
    );
    if (options.wake !== false) {
      this.#unsubscribe.push(watchWake((reason) => this.#onWake(reason), options.wake ?? {}));
    }
    this.#stopPing = every(this.#scheduler, this.#pingIntervalMs, () => this.#pingAll());
    // Members known before this transport existed are announced asynchronously (after the
    // relay transport's own announcement), so callers can attach listeners first.
    this.#scheduler.setTimeout(() => {
      if (!this.#closed && s.status() === 'joined') this.#onJoined(s.peers());
    }, 0);
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    return this.#events.on(event, listener);
  }

  /** The room's recorded cluster id, from the signaling client (room-record.ts). */
  get room(): RoomRecord {
    return this.#signaling.clusterRecord;
  }

  links(): LinkInfo[] {
    return [...this.#peers.values()].map((p) => this.#info(p));
  }

  send(to: PeerId, frame: Uint8Array): boolean {
    if (frame.byteLength > this.#maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, this.#maxFrameBytes);
    const p = this.#peers.get(to);
    if (this.#closed || !p) return false;
    switch (p.state) {
      case 'relay':
        return this.#sendRelay(p, frame);
      case 'webrtc':
      case 'connecting': {
        if (!p.queue.push(frame)) {
          this.#report(new QueueFullError(to, p.queue.queuedBytes, this.#maxQueuedBytes));
          return false;
        }
        if (p.state === 'webrtc') p.schedulePump();
        return true;
      }
      default:
        return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPing();
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const p of this.#peers.values()) p.dispose();
    this.#peers.clear();
    this.#events.clear();
    await this.#relay.close();
    if (this.#closeSignaling) await this.#signaling.close();
  }

  // ---- membership ---------------------------------------------------------------------------

  #onJoined(peers: readonly PeerId[]): void {
    for (const peer of peers) this.#addPeer(peer);
    // After a signaling reconnect, peers without a channel get a fresh attempt.
    for (const p of this.#peers.values()) {
      if (p.idle) p.kick();
    }
    this.#reevaluateAll();
  }

  #addPeer(peer: PeerId): void {
    const known = this.#peers.get(peer);
    if (known) known.departed = false;
    if (this.#closed || peer === this.self || known) return;
    const p = new PeerSession(peer, this.self < peer, this.#sessionOptions, this.#host);
    this.#peers.set(peer, p);
    this.#events.emit('peer-up', peer);
    p.start();
    // Not a real state yet ('down'): this first reevaluate moves it on and reports a `link` event.
    this.#reevaluate(p);
  }

  #onPeerLeft(peer: PeerId): void {
    const p = this.#peers.get(peer);
    if (!p) return;
    // Presence is lost when the signaling server restarts; a working data channel is not. A peer
    // that really left closes the channel too, and the close removes it.
    if (p.isOpen) p.departed = true;
    else this.#removePeer(peer);
  }

  #removePeer(peer: PeerId): void {
    const p = this.#peers.get(peer);
    if (!p) return;
    this.#peers.delete(peer);
    p.dispose();
    p.state = 'down';
    this.#events.emit('link', this.#info(p));
    this.#events.emit('peer-down', peer);
  }

  // ---- path selection -----------------------------------------------------------------------

  #reevaluateAll(): void {
    for (const p of this.#peers.values()) this.#reevaluate(p);
  }

  /** Moves a peer to the state its link and the signaling connection allow, and flushes. */
  #reevaluate(p: PeerSession): void {
    if (this.#closed || this.#peers.get(p.id) !== p) return;
    const next: LinkState = p.isOpen
      ? 'webrtc'
      : p.relayDue && this.#signaling.status() === 'joined'
        ? 'relay'
        : 'connecting';
    if (next === p.state) return;
    p.state = next;
    if (next === 'webrtc') {
      p.onOpenPath();
    } else if (next === 'relay') {
      for (const frame of p.queue.takeAll()) this.#sendRelay(p, frame);
    } else {
      p.queue.rewind();
    }
    p.resetRtt();
    this.#reportLink(p, true);
  }

  /** Emits `link` when the state, relay reason or route changed since the last report (or `force`). */
  #reportLink(p: PeerSession, force = false): void {
    if (this.#closed || this.#peers.get(p.id) !== p) return;
    const info = this.#info(p);
    const key = `${info.state}|${info.relayReason ?? ''}|${info.route ? `${info.route.local}/${info.route.remote}` : ''}`;
    if (!force && key === p.reported) return;
    p.reported = key;
    this.#events.emit('link', info);
  }

  #relayReason(p: PeerSession): RelayReason {
    if (this.#opts.forceRelay === true) return 'forced';
    if (!this.#rtcAvailable) return 'webrtc-unavailable';
    const ice = p.iceProgress();
    if (ice?.iceState === 'failed') return 'ice-failed';
    if (ice?.gathering === 'complete' && ice.localCandidates === 0) return 'no-candidates';
    return p.failure ?? 'connecting';
  }

  #sendRelay(p: PeerSession, frame: Uint8Array): boolean {
    const limit = this.#relay.maxFrameBytes();
    if (limit !== null && frame.byteLength > limit) {
      // The server would refuse it; WebRTC carries up to maxFrameBytes, the relay less.
      this.#report(new FrameTooLargeError(frame.byteLength, limit));
      return false;
    }
    return this.#relay.send(p.id, frame);
  }

  // ---- signaling ----------------------------------------------------------------------------

  #onSignal(from: PeerId, payload: unknown): void {
    if (this.#closed || !isRtcSignal(payload)) return;
    // A signal can beat the peer-joined notice. But a late one can also trail a peer-left: add
    // the sender only if the signaling client lists it, or it would linger as a ghost.
    if (!this.#peers.has(from) && this.#signaling.peers().includes(from)) this.#addPeer(from);
    const p = this.#peers.get(from);
    if (!p) return;
    if (payload.w === 'rtc') p.onRtcSignal(payload.g, payload.d);
    else p.onHello();
  }

  // ---- liveness -----------------------------------------------------------------------------

  #pingAll(): void {
    for (const p of this.#peers.values()) p.pingTick();
  }

  /** After sleep or a network change: reconnect now instead of waiting out backoff. */
  #onWake(reason: 'timer-gap' | 'online'): void {
    if (this.#closed) return;
    // The signaling client handles `online` itself; after sleep its socket is likely dead. A
    // hidden tab's timers are throttled (a gap is normal there): its liveness check decides.
    const hidden = (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === 'hidden';
    if (reason === 'timer-gap' && !hidden) this.#signaling.reconnect();
    for (const p of this.#peers.values()) p.wake();
  }

  // ---- helpers ------------------------------------------------------------------------------

  #deliver(from: PeerId, frame: Uint8Array): void {
    if (this.#closed) return;
    if (frame.byteLength > this.#maxFrameBytes) {
      this.#report(new FrameTooLargeError(frame.byteLength, this.#maxFrameBytes));
      return;
    }
    this.#events.emit('frame', from, frame);
  }

  #info(p: PeerSession): LinkInfo {
    const rttMs = p.state === 'relay' ? (this.#relay.links().find((l) => l.peer === p.id)?.rttMs ?? null) : p.rttMs;
    if (p.state === 'relay') return { peer: p.id, state: p.state, rttMs, relayReason: this.#relayReason(p) };
    if (p.state === 'webrtc' && p.route) return { peer: p.id, state: p.state, rttMs, route: p.route };
    return { peer: p.id, state: p.state, rttMs };
  }

  #report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', e);
  }
}
