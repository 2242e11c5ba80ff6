/**
 * @module webrtc/peer-session
 * One remote peer's data-channel session: the current link and its generation, the reconnect
 * (with backoff), connect-timeout, relay-fallback and replace timers, the send queue's writes to
 * the open channel, and ping liveness. The transport keeps the peer table and decides which
 * path (WebRTC, relay) frames take; the session tells it when that may have changed.
 */
import type { PeerId } from '@meshraft/signaling-server/protocol';
import SimplePeer from '#platform/simple-peer';
import { Backoff, type BackoffOptions } from '../backoff.js';
import type { Scheduler, TimerHandle } from '../scheduler.js';
import type { LinkState } from '../transport.js';
import { encodePing, encodePong, Reassembler } from './chunk-codec.js';
import { PeerLinkError } from './errors.js';
import { PeerLink, type SimplePeerConstructor, type WrtcLike } from './peer-link.js';
import { SendQueue, type SendQueueOptions } from './send-queue.js';

/** Signals this transport exchanges through the signaling server (`w` tells them apart). */
export type RtcSignal =
  | { readonly w: 'rtc'; readonly g: number; readonly d: unknown }
  | { readonly w: 'hello' };

export interface SessionOptions {
  readonly scheduler: Scheduler;
  readonly queue: SendQueueOptions;
  readonly maxFrameBytes: number;
  readonly iceServers: readonly RTCIceServer[];
  readonly wrtc: WrtcLike | undefined;
  readonly lowWaterMark: number;
  readonly relayFallbackMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnect: BackoffOptions;
  /** Whether WebRTC is used at all (else every frame takes the relay). */
  readonly useRtc: boolean;
}

/** What a session needs from the transport that holds it. */
export interface SessionHost {
  /** Still running, and `s` still the peer's session. */
  live(s: PeerSession): boolean;
  signal(to: PeerId, payload: RtcSignal): void;
  /** The link opened or closed, or the relay became due: choose the path again. */
  reevaluate(s: PeerSession): void;
  deliver(from: PeerId, frame: Uint8Array): void;
  report(err: unknown): void;
  /** The peer left and its last channel closed. */
  remove(peer: PeerId): void;
  /** A process-wide ping nonce. */
  nextNonce(): number;
}

const DRAIN_POLL_MS = 5;
const REPLACE_PAUSE_MS = 100;

export class PeerSession {
  readonly queue: SendQueue;
  /** The path the transport chose (it owns this field). */
  state: LinkState = 'down';
  /** Once set, the peer uses the relay whenever no channel is open. */
  relayDue: boolean;
  /** Signaling says the peer left, but its data channel is still open: keep it until that closes. */
  departed = false;
  rttMs: number | null = null;
  private readonly reassembler: Reassembler;
  private readonly backoff: Backoff;
  private link: PeerLink | null = null;
  /** Generation of `link` (the offerer counts them up). */
  private gen = 0;
  private fallbackTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private connectTimer: TimerHandle | null = null;
  /** An offer (and its candidates) waiting for the connection it replaces to finish closing. */
  private pending: { readonly gen: number; readonly signals: unknown[]; readonly timer: TimerHandle } | null = null;
  private drainTimer: TimerHandle | null = null;
  private pumpScheduled = false;
  /** Outstanding ping: nonce and send time. */
  private ping: { readonly nonce: number; readonly at: number } | null = null;
  /** Anything arrived on the channel since the last ping tick. */
  private heard = true;
  /** Ping ticks in a row with nothing heard; 3 closes the channel. */
  private misses = 0;

  constructor(
    readonly id: PeerId,
    /** The lower id offers and owns reconnection. */
    readonly initiator: boolean,
    private readonly o: SessionOptions,
    private readonly host: SessionHost,
  ) {
    this.queue = new SendQueue(o.queue);
    this.reassembler = new Reassembler(id, o.maxFrameBytes);
    this.backoff = new Backoff(o.reconnect);
    this.relayDue = !o.useRtc;
  }

  get isOpen(): boolean {
    return this.link?.isOpen ?? false;
  }

  /** A new peer: arm the relay fallback and make a first attempt. */
  start(): void {
    if (!this.o.useRtc) return;
    this.fallbackTimer = this.o.scheduler.setTimeout(() => {
      this.fallbackTimer = null;
      this.relayDue = true;
      this.host.reevaluate(this);
    }, this.o.relayFallbackMs);
    this.kick();
  }

  /** Starts a connection attempt now if this side offers, or asks the offerer for one. */
  kick(): void {
    if (!this.o.useRtc || !this.host.live(this)) return;
    if (this.initiator) {
      if (this.link === null && this.reconnectTimer === null) this.connect();
    } else if (this.link === null) {
      this.host.signal(this.id, { w: 'hello' });
    }
  }

  /** Whether there is no link (a fresh attempt is due after a signaling reconnect). */
  get idle(): boolean {
    return this.link === null;
  }

  /** The transport moved to WebRTC: the next drop starts backing off from the beginning. */
  onOpenPath(): void {
    this.backoff.reset();
    this.pump();
  }

  /** A new path has its own round-trip time; the old figure would mislead. */
  resetRtt(): void {
    this.rttMs = null;
    this.ping = null;
  }

  /** Writes at the end of the current task, so the frames of one burst share BATCH messages. */
  schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** The peer's 'hello': the answerer has no link. An open one here is stale: replace it. */
  onHello(): void {
    if (!this.initiator || !this.o.useRtc) return;
    if (this.link?.isOpen) this.link.destroy(new PeerLinkError(this.id, 'the peer lost this connection'));
    else if (this.link === null && this.reconnectTimer === null) this.connect();
  }

  onRtcSignal(gen: number, data: unknown): void {
    if (!this.o.useRtc) return;
    if (this.initiator) {
      // Answers and candidates for our current offer; anything older is from a dead attempt.
      if (gen !== this.gen || this.link === null) return;
    } else if ((data as { type?: unknown } | null)?.type === 'offer') {
      // The offerer never renegotiates, so every offer is a new connection and replaces whatever
      // we had, even with a generation we have seen (it restarted and counts from 1 again).
      if (this.link === null && this.pending === null) {
        this.openLink(gen, false);
      } else {
        this.replaceLink(gen, data);
        return;
      }
    } else if (this.pending !== null && gen === this.pending.gen) {
      this.pending.signals.push(data);
      return;
    } else if (gen !== this.gen || this.link === null) {
      return; // a late candidate of an attempt that is gone
    }
    this.signalLink(data);
  }

  /**
   * One ping period. Counts ticks, not milliseconds, without traffic: a background tab whose
   * timers are throttled to once a minute still hears the pong to each of its pings.
   */
  pingTick(): void {
    if (this.state !== 'webrtc' || !this.link) return;
    this.misses = this.heard ? 0 : this.misses + 1;
    this.heard = false;
    if (this.misses >= 3) {
      this.link.destroy(new PeerLinkError(this.id, `no reply to ${this.misses} pings`));
      return;
    }
    this.sendPing();
  }

  /** After sleep or a network change: reconnect now instead of waiting out backoff. */
  wake(): void {
    this.backoff.reset();
    if (this.link?.isOpen) {
      // Let the liveness check judge it: one ping now, a dead channel stays silent.
      this.sendPing();
      return;
    }
    if (this.reconnectTimer !== null) this.o.scheduler.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.link === null) this.kick();
  }

  /** Drops the link, the queue and every timer (peer removed or transport closed). */
  dispose(): void {
    for (const t of [this.fallbackTimer, this.reconnectTimer, this.connectTimer, this.drainTimer, this.pending?.timer ?? null]) {
      if (t !== null) this.o.scheduler.clearTimeout(t);
    }
    this.fallbackTimer = this.reconnectTimer = this.connectTimer = this.drainTimer = null;
    this.pending = null;
    this.queue.clear();
    this.link?.destroy();
    this.link = null;
  }

  private pump(): void {
    const link = this.link;
    if (!link?.isOpen) return;
    try {
      this.queue.pump(link);
    } catch (err) {
      // The channel refused a write (closing under us): the link's close handler takes over.
      link.destroy(new PeerLinkError(this.id, 'send failed', err));
      return;
    }
    // Browsers fire `bufferedamountlow` to drive the next pump. @roamhq/wrtc never fires it, so a
    // short poll runs while the channel is full.
    if (!this.queue.isEmpty && this.drainTimer === null) {
      this.drainTimer = this.o.scheduler.setTimeout(() => {
        this.drainTimer = null;
        this.pump();
      }, DRAIN_POLL_MS);
    }
  }

  private connect(): void {
    this.gen += 1;
    this.openLink(this.gen, true);
    const link = this.link;
    if (this.connectTimer !== null) this.o.scheduler.clearTimeout(this.connectTimer);
    this.connectTimer = this.o.scheduler.setTimeout(() => {
      this.connectTimer = null;
      if (link !== null && this.link === link && !link.isOpen) {
        link.destroy(new PeerLinkError(this.id, `no channel within ${this.o.connectTimeoutMs} ms`));
      }
    }, this.o.connectTimeoutMs);
  }

  private openLink(gen: number, initiator: boolean): void {
    // Detach first: the old link's close must not trigger a reconnect or a hello.
    const old = this.link;
    this.link = null;
    old?.destroy();
    this.reassembler.reset();
    this.gen = gen;
    let link: PeerLink;
    try {
      link = new PeerLink(
        SimplePeer as SimplePeerConstructor,
        { initiator, iceServers: this.o.iceServers, wrtc: this.o.wrtc, lowWaterMark: this.o.lowWaterMark },
        {
          signal: (d) => this.host.signal(this.id, { w: 'rtc', g: gen, d }),
          open: () => {
            if (this.link !== link) return;
            if (this.fallbackTimer) this.o.scheduler.clearTimeout(this.fallbackTimer);
            this.fallbackTimer = null;
            // From now on a drop goes straight to the relay while we reconnect.
            this.relayDue = true;
            this.heard = true;
            this.misses = 0;
            this.host.reevaluate(this);
            this.sendPing(); // a first RTT figure without waiting a ping period
          },
          message: (bytes) => {
            if (this.link === link) this.onChannelMessage(bytes);
          },
          drain: () => {
            if (this.link === link) this.pump();
          },
          close: (cause) => {
            if (this.link === link) this.onLinkClosed(cause);
          },
        },
      );
    } catch (err) {
      this.host.report(new PeerLinkError(this.id, 'could not create a peer connection', err));
      this.scheduleReconnect();
      return;
    }
    this.link = link;
  }

  private onLinkClosed(cause: unknown): void {
    this.link = null;
    this.reassembler.reset();
    if (this.departed) {
      this.host.remove(this.id);
      return;
    }
    if (cause instanceof PeerLinkError) this.host.report(cause);
    else if (cause !== undefined) this.host.report(new PeerLinkError(this.id, 'connection failed', cause));
    this.host.reevaluate(this);
    if (!this.host.live(this)) return;
    if (this.initiator) this.scheduleReconnect();
    else this.host.signal(this.id, { w: 'hello' });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== null || !this.host.live(this)) return;
    this.reconnectTimer = this.o.scheduler.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.host.live(this) && this.link === null) this.connect();
    }, this.backoff.next());
  }

  /**
   * Answers a new `offer` that replaces a connection only after a pause. With @roamhq/wrtc,
   * closing the old peer connection and creating the new one at once, right after the process
   * was frozen (SIGSTOP), crashed it (SIGSEGV) in 4 of 8 tries; with the pause, in 1 of 16.
   */
  private replaceLink(gen: number, offer: unknown): void {
    const old = this.link;
    this.link = null;
    old?.destroy();
    if (this.pending !== null) this.o.scheduler.clearTimeout(this.pending.timer);
    this.gen = gen;
    const timer = this.o.scheduler.setTimeout(() => {
      const pending = this.pending;
      this.pending = null;
      if (pending === null || !this.host.live(this)) return;
      this.openLink(pending.gen, false);
      for (const d of pending.signals) this.signalLink(d);
    }, REPLACE_PAUSE_MS);
    this.pending = { gen, signals: [offer], timer };
  }

  private signalLink(data: unknown): void {
    try {
      this.link?.signal(data);
    } catch (err) {
      this.link?.destroy(new PeerLinkError(this.id, 'bad signal', err));
    }
  }

  private onChannelMessage(bytes: Uint8Array): void {
    this.heard = true;
    let decoded;
    try {
      decoded = this.reassembler.push(bytes);
    } catch (err) {
      this.host.report(err);
      return;
    }
    switch (decoded.kind) {
      case 'frame':
        this.host.deliver(this.id, decoded.frame);
        return;
      case 'batch':
        for (const frame of decoded.frames) this.host.deliver(this.id, frame);
        return;
      case 'ping':
        this.sendControl(encodePong(decoded.nonce));
        return;
      case 'pong':
        if (this.ping?.nonce !== decoded.nonce) return;
        this.rttMs = this.o.scheduler.now() - this.ping.at;
        this.ping = null;
        return;
      case 'partial':
        return;
    }
  }

  private sendPing(): void {
    const nonce = this.host.nextNonce();
    this.ping = { nonce, at: this.o.scheduler.now() };
    this.sendControl(encodePing(nonce));
  }

  private sendControl(bytes: Uint8Array): void {
    // Not gated on isOpen: a ping can arrive before simple-peer reports `connect` here (it
    // waits for stats first), and the channel it came on can already carry the pong.
    try {
      this.link?.send(bytes);
    } catch {
      // No channel yet, or a closing one (its close event follows).
    }
  }
}
