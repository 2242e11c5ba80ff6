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
 * - RTT: pings on the data channel; on the relay, the relay transport's own pings.
 * - `links()` says why a peer is on the relay (`relayReason`, from how far ICE got on the last
 *   attempt) and, on WebRTC, the candidate types in use (`route`; `relay` = through TURN). A
 *   change of either is a `link` event too.
 *
 * The relay path is the relay transport (`../relay`), sharing this signaling client, so a peer
 * that only runs the relay transport (no WebRTC at all) still talks to this one.
 */
import type { PeerId } from '@meshraft/signaling-server/protocol';
import SimplePeer from '#platform/simple-peer';
import { Emitter } from '../emitter.js';
import { FrameTooLargeError } from '../errors.js';
import { createRelayTransport, type RelayTransport } from '../relay/relay-transport.js';
import { createSignalingClient, type SignalingClient, type SignalingClientOptions } from '../signaling/signaling-client.js';
import type { IceRoute, LinkInfo, LinkState, RelayReason, Transport, TransportEvents } from '../transport.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { encodePing, encodePong, MIN_CHUNK_SIZE, Reassembler } from './chunk-codec.js';
import { BadOptionsError, PeerLinkError, QueueFullError, WebRtcUnavailableError } from './errors.js';
import { PeerLink, type IceProgress, type SimplePeerConstructor, type WrtcLike } from './peer-link.js';
import { SendQueue } from './send-queue.js';
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
  /** Sleep/`online` detection (reconnect at once on wake); `false` turns it off. */
  readonly wake?: WakeDetectorOptions | false;
}

/** Signals this transport exchanges through the signaling server (`w` tells them apart). */
type RtcSignal =
  | { readonly w: 'rtc'; readonly g: number; readonly d: unknown }
  | { readonly w: 'hello' };

interface PeerState {
  readonly id: PeerId;
  readonly initiator: boolean;
  readonly queue: SendQueue;
  readonly reassembler: Reassembler;
  readonly backoff: Backoff;
  state: LinkState;
  link: PeerLink | null;
  /** Generation of `link` (the offerer counts them up). */
  gen: number;
  /** Once set, the peer uses the relay whenever no channel is open. */
  relayDue: boolean;
  /** Signaling says the peer left, but its data channel is still open: keep it until that closes. */
  departed: boolean;
  fallbackTimer: ReturnType<typeof setTimeout> | null;
  reconnectTimer: ReturnType<typeof setTimeout> | null;
  connectTimer: ReturnType<typeof setTimeout> | null;
  /** An offer (and its candidates) waiting for the connection it replaces to finish closing. */
  pending: { readonly gen: number; readonly signals: unknown[]; readonly timer: ReturnType<typeof setTimeout> } | null;
  drainTimer: ReturnType<typeof setTimeout> | null;
  pumpScheduled: boolean;
  rttMs: number | null;
  /** How the last attempt without an open channel ended, or `link-dropped`; null after an open. */
  failure: RelayReason | null;
  /** Candidate types of the open channel's pair. */
  route: IceRoute | null;
  /** state|reason|route last reported in a `link` event. */
  reported: string;
  /** Outstanding ping: nonce and send time. */
  ping: { readonly nonce: number; readonly at: number } | null;
  /** Anything arrived on the channel since the last ping tick. */
  heard: boolean;
  /** Ping ticks in a row with nothing heard; 3 closes the channel. */
  misses: number;
}

const DRAIN_POLL_MS = 5;
const REPLACE_PAUSE_MS = 100;

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

/** Why an attempt ended without a channel, from how far its ICE got. */
function unopenedReason(ice: IceProgress): RelayReason {
  if (ice.localCandidates === 0 && ice.gathering === 'complete') return 'no-candidates';
  if (!ice.remoteDescription) return 'no-answer';
  return ice.localCandidates === 0 ? 'no-candidates' : 'ice-failed';
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
  readonly #peers = new Map<PeerId, PeerState>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #pingTimer: ReturnType<typeof setInterval>;
  #closed = false;
  #nonce = 0;

  constructor(options: WebRtcTransportOptions) {
    this.#opts = options;
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
    if (!available && options.forceRelay !== true) {
      // Reported after construction so a listener attached right away still sees it.
      queueMicrotask(() => this.#report(new WebRtcUnavailableError()));
    }

    const s = this.#signaling;
    this.#relay = createRelayTransport({ signaling: s, closeSignaling: false, pingIntervalMs: this.#pingIntervalMs });
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
    this.#pingTimer = setInterval(() => this.#pingAll(), this.#pingIntervalMs);
    (this.#pingTimer as { unref?: () => void }).unref?.();
    // Members known before this transport existed are announced asynchronously (after the
    // relay transport's own announcement), so callers can attach listeners first.
    setTimeout(() => {
      if (!this.#closed && s.status() === 'joined') this.#onJoined(s.peers());
    }, 0);
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    return this.#events.on(event, listener);
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
        if (p.state === 'webrtc') this.#schedulePump(p);
        return true;
      }
      default:
        return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const p of this.#peers.values()) {
      this.#clearTimers(p);
      p.queue.clear();
      p.link?.destroy();
      p.link = null;
    }
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
      if (p.link === null) this.#kick(p);
    }
    this.#reevaluateAll();
  }

  #addPeer(peer: PeerId): void {
    const known = this.#peers.get(peer);
    if (known) known.departed = false;
    if (this.#closed || peer === this.self || known) return;
    const p: PeerState = {
      id: peer,
      initiator: this.self < peer,
      queue: new SendQueue({
        maxQueuedBytes: this.#maxQueuedBytes,
        highWaterMark: this.#highWaterMark,
        chunkSize: this.#chunkSize,
        maxFrameBytes: this.#maxFrameBytes,
      }),
      reassembler: new Reassembler(peer, this.#maxFrameBytes),
      backoff: new Backoff({ ...(this.#opts.random ? { random: this.#opts.random } : {}), ...this.#opts.reconnect }),
      // Not a real state here: the first reevaluate moves it on and reports a `link` event.
      state: 'down',
      link: null,
      gen: 0,
      relayDue: !this.#useRtc,
      departed: false,
      fallbackTimer: null,
      reconnectTimer: null,
      connectTimer: null,
      pending: null,
      drainTimer: null,
      pumpScheduled: false,
      rttMs: null,
      failure: null,
      route: null,
      reported: '',
      ping: null,
      heard: true,
      misses: 0,
    };
    this.#peers.set(peer, p);
    this.#events.emit('peer-up', peer);
    if (this.#useRtc) {
      p.fallbackTimer = setTimeout(() => {
        p.fallbackTimer = null;
        p.relayDue = true;
        this.#reevaluate(p);
      }, this.#relayFallbackMs);
      this.#kick(p);
    }
    this.#reevaluate(p);
  }

  #onPeerLeft(peer: PeerId): void {
    const p = this.#peers.get(peer);
    if (!p) return;
    // Presence is lost when the signaling server restarts; a working data channel is not. A peer
    // that really left closes the channel too, and the close removes it.
    if (p.link?.isOpen) p.departed = true;
    else this.#removePeer(peer);
  }

  #removePeer(peer: PeerId): void {
    const p = this.#peers.get(peer);
    if (!p) return;
    this.#peers.delete(peer);
    this.#clearTimers(p);
    p.queue.clear();
    p.link?.destroy();
    p.link = null;
    p.state = 'down';
    this.#events.emit('link', this.#info(p));
    this.#events.emit('peer-down', peer);
  }

  // ---- path selection -----------------------------------------------------------------------

  #reevaluateAll(): void {
    for (const p of this.#peers.values()) this.#reevaluate(p);
  }

  /** Moves a peer to the state its link and the signaling connection allow, and flushes. */
  #reevaluate(p: PeerState): void {
    if (this.#closed || this.#peers.get(p.id) !== p) return;
    const next: LinkState = p.link?.isOpen
      ? 'webrtc'
      : p.relayDue && this.#signaling.status() === 'joined'
        ? 'relay'
        : 'connecting';
    if (next === p.state) return;
    p.state = next;
    if (next === 'webrtc') {
      p.backoff.reset();
      this.#pump(p);
    } else if (next === 'relay') {
      for (const frame of p.queue.takeAll()) this.#sendRelay(p, frame);
    } else {
      p.queue.rewind();
    }
    // A new path has its own round-trip time; the old figure would mislead.
    p.rttMs = null;
    p.ping = null;
    this.#reportLink(p, true);
  }

  /** Emits `link` when the state, relay reason or route changed since the last report (or `force`). */
  #reportLink(p: PeerState, force = false): void {
    if (this.#closed || this.#peers.get(p.id) !== p) return;
    const info = this.#info(p);
    const key = `${info.state}|${info.relayReason ?? ''}|${info.route ? `${info.route.local}/${info.route.remote}` : ''}`;
    if (!force && key === p.reported) return;
    p.reported = key;
    this.#events.emit('link', info);
  }

  #relayReason(p: PeerState): RelayReason {
    if (this.#opts.forceRelay === true) return 'forced';
    if (!this.#rtcAvailable) return 'webrtc-unavailable';
    const ice = p.link && !p.link.isOpen ? p.link.ice() : null;
    if (ice?.iceState === 'failed') return 'ice-failed';
    if (ice?.gathering === 'complete' && ice.localCandidates === 0) return 'no-candidates';
    return p.failure ?? 'connecting';
  }

  #sendRelay(p: PeerState, frame: Uint8Array): boolean {
    const limit = this.#relay.maxFrameBytes();
    if (limit !== null && frame.byteLength > limit) {
      // The server would refuse it; WebRTC carries up to maxFrameBytes, the relay less.
      this.#report(new FrameTooLargeError(frame.byteLength, limit));
      return false;
    }
    return this.#relay.send(p.id, frame);
  }

  /**
   * Writes at the end of the current task rather than per send(): the frames of one burst (a
   * Raft Ready's messages) then share BATCH messages instead of paying a channel send each.
   */
  #schedulePump(p: PeerState): void {
    if (p.pumpScheduled) return;
    p.pumpScheduled = true;
    queueMicrotask(() => {
      p.pumpScheduled = false;
      this.#pump(p);
    });
  }

  #pump(p: PeerState): void {
    const link = p.link;
    if (!link?.isOpen) return;
    try {
      p.queue.pump(link);
    } catch (err) {
      // The channel refused a write (closing under us): the link's close handler takes over.
      link.destroy(new PeerLinkError(p.id, 'send failed', err));
      return;
    }
    // Browsers fire `bufferedamountlow` to drive the next pump. @roamhq/wrtc never fires it, so a
    // short poll runs while the channel is full.
    if (!p.queue.isEmpty && p.drainTimer === null) {
      p.drainTimer = setTimeout(() => {
        p.drainTimer = null;
        this.#pump(p);
      }, DRAIN_POLL_MS);
    }
  }

  // ---- data channels ------------------------------------------------------------------------

  /** Starts a connection attempt now if this side offers, or asks the offerer for one. */
  #kick(p: PeerState): void {
    if (!this.#useRtc || this.#closed) return;
    if (p.initiator) {
      if (p.link === null && p.reconnectTimer === null) this.#connect(p);
    } else if (p.link === null) {
      this.#signal(p, { w: 'hello' });
    }
  }

  #connect(p: PeerState): void {
    p.gen += 1;
    this.#openLink(p, p.gen, true);
    const link = p.link;
    if (p.connectTimer !== null) clearTimeout(p.connectTimer);
    p.connectTimer = setTimeout(() => {
      p.connectTimer = null;
      if (link !== null && p.link === link && !link.isOpen) {
        link.destroy(new PeerLinkError(p.id, `no channel within ${this.#connectTimeoutMs} ms`));
      }
    }, this.#connectTimeoutMs);
  }

  #openLink(p: PeerState, gen: number, initiator: boolean): void {
    // Detach first: the old link's close must not trigger a reconnect or a hello.
    const old = p.link;
    p.link = null;
    old?.destroy();
    p.reassembler.reset();
    p.gen = gen;
    let link: PeerLink;
    try {
      link = new PeerLink(
        SimplePeer as SimplePeerConstructor,
        {
          initiator,
          iceServers: this.#opts.iceServers ?? [],
          iceTransportPolicy: this.#opts.iceTransportPolicy ?? 'all',
          wrtc: this.#opts.wrtc,
          lowWaterMark: this.#highWaterMark / 4,
        },
        {
          signal: (d) => this.#signal(p, { w: 'rtc', g: gen, d }),
          open: () => {
            if (p.link !== link) return;
            if (p.fallbackTimer) clearTimeout(p.fallbackTimer);
            p.fallbackTimer = null;
            // From now on a drop goes straight to the relay while we reconnect.
            p.relayDue = true;
            p.heard = true;
            p.misses = 0;
            p.failure = null;
            this.#reevaluate(p);
            this.#sendPing(p); // a first RTT figure without waiting a ping period
            void link.route().then((route) => {
              if (p.link !== link || route === null) return;
              p.route = route;
              this.#reportLink(p);
            });
          },
          ice: () => {
            if (p.link === link) this.#reportLink(p);
          },
          message: (bytes) => {
            if (p.link === link) this.#onChannelMessage(p, bytes);
          },
          drain: () => {
            if (p.link === link) this.#pump(p);
          },
          close: (cause) => {
            if (p.link !== link) return;
            this.#onLinkClosed(p, cause);
          },
        },
      );
    } catch (err) {
      this.#report(new PeerLinkError(p.id, 'could not create a peer connection', err));
      this.#scheduleReconnect(p);
      return;
    }
    p.link = link;
  }

  #onLinkClosed(p: PeerState, cause: unknown): void {
    const link = p.link;
    p.link = null;
    p.route = null;
    // Still `webrtc` here when an open channel dropped; otherwise the attempt never opened.
    if (p.state === 'webrtc') p.failure = 'link-dropped';
    else if (link) p.failure = unopenedReason(link.ice());
    p.reassembler.reset();
    if (p.departed) {
      this.#removePeer(p.id);
      return;
    }
    if (cause instanceof PeerLinkError) this.#report(cause);
    else if (cause !== undefined) this.#report(new PeerLinkError(p.id, 'connection failed', cause));
    this.#reevaluate(p);
    this.#reportLink(p);
    if (this.#closed || this.#peers.get(p.id) !== p) return;
    if (p.initiator) this.#scheduleReconnect(p);
    else this.#signal(p, { w: 'hello' });
  }

  #scheduleReconnect(p: PeerState): void {
    if (p.reconnectTimer !== null || this.#closed) return;
    p.reconnectTimer = setTimeout(() => {
      p.reconnectTimer = null;
      if (this.#peers.get(p.id) === p && p.link === null) this.#connect(p);
    }, p.backoff.next());
  }

  #onChannelMessage(p: PeerState, bytes: Uint8Array): void {
    p.heard = true;
    let decoded;
    try {
      decoded = p.reassembler.push(bytes);
    } catch (err) {
      this.#report(err);
      return;
    }
    switch (decoded.kind) {
      case 'frame':
        this.#deliver(p.id, decoded.frame);
        return;
      case 'batch':
        for (const frame of decoded.frames) this.#deliver(p.id, frame);
        return;
      case 'ping':
        this.#sendControl(p, encodePong(decoded.nonce));
        return;
      case 'pong':
        this.#onPong(p, decoded.nonce);
        return;
      case 'partial':
        return;
    }
  }

  #sendControl(p: PeerState, bytes: Uint8Array): void {
    // Not gated on isOpen: a ping can arrive before simple-peer reports `connect` here (it
    // waits for stats first), and the channel it came on can already carry the pong.
    try {
      p.link?.send(bytes);
    } catch {
      // No channel yet, or a closing one (its close event follows).
    }
  }

  // ---- signaling ----------------------------------------------------------------------------

  #signal(p: PeerState, payload: RtcSignal): void {
    this.#signaling.sendSignal(p.id, payload);
  }

  #onSignal(from: PeerId, payload: unknown): void {
    if (this.#closed || !isRtcSignal(payload)) return;
    // A signal can beat the peer-joined notice. But a late one can also trail a peer-left: add
    // the sender only if the signaling client lists it, or it would linger as a ghost.
    if (!this.#peers.has(from) && this.#signaling.peers().includes(from)) this.#addPeer(from);
    const p = this.#peers.get(from);
    if (!p) return;
    switch (payload.w) {
      case 'rtc':
        this.#onRtcSignal(p, payload.g, payload.d);
        return;
      case 'hello':
        // The answerer has no link. An open one here is stale (it restarted): replace it.
        if (!p.initiator || !this.#useRtc) return;
        if (p.link?.isOpen) p.link.destroy(new PeerLinkError(p.id, 'the peer lost this connection'));
        else if (p.link === null && p.reconnectTimer === null) this.#connect(p);
        return;
    }
  }

  #onRtcSignal(p: PeerState, gen: number, data: unknown): void {
    if (!this.#useRtc) return;
    if (p.initiator) {
      // Answers and candidates for our current offer; anything older is from a dead attempt.
      if (gen !== p.gen || p.link === null) return;
    } else if ((data as { type?: unknown } | null)?.type === 'offer') {
      // The offerer never renegotiates, so every offer is a new connection and replaces whatever
      // we had, even with a generation we have seen (it restarted and counts from 1 again).
      if (p.link === null && p.pending === null) {
        this.#openLink(p, gen, false);
      } else {
        this.#replaceLink(p, gen, data);
        return;
      }
    } else if (p.pending !== null && gen === p.pending.gen) {
      p.pending.signals.push(data);
      return;
    } else if (gen !== p.gen || p.link === null) {
      return; // a late candidate of an attempt that is gone
    }
    try {
      p.link?.signal(data);
    } catch (err) {
      p.link?.destroy(new PeerLinkError(p.id, 'bad signal', err));
    }
  }

  /**
   * Answers a new `offer` that replaces a connection only after a pause. With @roamhq/wrtc,
   * closing the old peer connection and creating the new one at once, right after the process
   * was frozen (SIGSTOP), crashed it (SIGSEGV) in 4 of 8 tries; with the pause, in 1 of 16.
   */
  #replaceLink(p: PeerState, gen: number, offer: unknown): void {
    const old = p.link;
    p.link = null;
    old?.destroy();
    if (p.pending !== null) clearTimeout(p.pending.timer);
    p.gen = gen;
    const timer = setTimeout(() => {
      const pending = p.pending;
      p.pending = null;
      if (pending === null || this.#closed || this.#peers.get(p.id) !== p) return;
      this.#openLink(p, pending.gen, false);
      for (const d of pending.signals) {
        try {
          p.link?.signal(d);
        } catch (err) {
          p.link?.destroy(new PeerLinkError(p.id, 'bad signal', err));
        }
      }
    }, REPLACE_PAUSE_MS);
    p.pending = { gen, signals: [offer], timer };
  }

  // ---- liveness and round trips -------------------------------------------------------------

  /**
   * Counts ticks, not milliseconds, without traffic: a background tab whose timers are throttled
   * to once a minute still hears the pong to each of its pings, and keeps its channels.
   */
  #pingAll(): void {
    for (const p of this.#peers.values()) {
      if (p.state !== 'webrtc' || !p.link) continue;
      p.misses = p.heard ? 0 : p.misses + 1;
      p.heard = false;
      if (p.misses >= 3) {
        p.link.destroy(new PeerLinkError(p.id, `no reply to ${p.misses} pings`));
        continue;
      }
      this.#sendPing(p);
    }
  }

  #sendPing(p: PeerState): void {
    this.#nonce = (this.#nonce + 1) >>> 0;
    p.ping = { nonce: this.#nonce, at: performance.now() };
    this.#sendControl(p, encodePing(this.#nonce));
  }

  #onPong(p: PeerState, nonce: number): void {
    if (p.ping?.nonce !== nonce) return;
    p.rttMs = performance.now() - p.ping.at;
    p.ping = null;
  }

  /** After sleep or a network change: reconnect now instead of waiting out backoff. */
  #onWake(reason: 'timer-gap' | 'online'): void {
    if (this.#closed) return;
    // The signaling client handles `online` itself; after sleep its socket is likely dead. A
    // hidden tab's timers are throttled (a gap is normal there): its liveness check decides.
    const hidden = (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === 'hidden';
    if (reason === 'timer-gap' && !hidden) this.#signaling.reconnect();
    for (const p of this.#peers.values()) {
      p.backoff.reset();
      if (p.link?.isOpen) {
        // Let the liveness check judge it: one ping now, a dead channel stays silent.
        this.#sendPing(p);
        continue;
      }
      if (p.reconnectTimer !== null) clearTimeout(p.reconnectTimer);
      p.reconnectTimer = null;
      if (p.link === null) this.#kick(p);
    }
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

  #info(p: PeerState): LinkInfo {
    const rttMs = p.state === 'relay' ? (this.#relay.links().find((l) => l.peer === p.id)?.rttMs ?? null) : p.rttMs;
    if (p.state === 'relay') return { peer: p.id, state: p.state, rttMs, relayReason: this.#relayReason(p) };
    if (p.state === 'webrtc' && p.route) return { peer: p.id, state: p.state, rttMs, route: p.route };
    return { peer: p.id, state: p.state, rttMs };
  }

  #clearTimers(p: PeerState): void {
    for (const t of [p.fallbackTimer, p.reconnectTimer, p.connectTimer, p.drainTimer, p.pending?.timer ?? null]) {
      if (t !== null) clearTimeout(t);
    }
    p.fallbackTimer = p.reconnectTimer = p.connectTimer = p.drainTimer = null;
    p.pending = null;
  }

  #report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', e);
  }
}
