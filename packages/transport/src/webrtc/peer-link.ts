/**
 * @module webrtc/peer-link
 * One WebRTC connection to one peer: a simple-peer instance with a single reliable, ordered data
 * channel. It exposes the channel as a ChunkSink (with its real `bufferedAmount`) and a `drain`
 * callback from `bufferedamountlow`, which simple-peer's own `send()` ignores.
 */
import type SimplePeerNs from 'simple-peer';
import type { ChunkSink } from './send-queue.js';

/** The three constructors simple-peer needs outside a browser (e.g. `@roamhq/wrtc`). */
export interface WrtcLike {
  readonly RTCPeerConnection: unknown;
  readonly RTCSessionDescription: unknown;
  readonly RTCIceCandidate: unknown;
}

export type SimplePeerConstructor = SimplePeerNs.SimplePeer;

export interface PeerLinkOptions {
  readonly initiator: boolean;
  readonly iceServers: readonly RTCIceServer[];
  readonly wrtc: WrtcLike | undefined;
  /** `bufferedamountlow` fires when the channel's buffer falls to this many bytes. */
  readonly lowWaterMark: number;
}

export interface PeerLinkHandlers {
  /** SDP or an ICE candidate for the remote peer, to pass on through signaling. */
  signal(data: unknown): void;
  open(): void;
  message(bytes: Uint8Array): void;
  /** The channel's buffer went low: write more. */
  drain(): void;
  /** The connection is gone (closed by either side or failed); `cause` when it failed. */
  close(cause: unknown): void;
}

interface ChannelLike {
  bufferedAmount: number;
  bufferedAmountLowThreshold?: number;
  addEventListener?(type: string, listener: () => void): void;
}

export class PeerLink implements ChunkSink {
  private readonly peer: SimplePeerNs.Instance;
  private open = false;
  private closed = false;

  constructor(SimplePeer: SimplePeerConstructor, options: PeerLinkOptions, private readonly handlers: PeerLinkHandlers) {
    this.peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      config: { iceServers: [...options.iceServers] },
      channelConfig: { ordered: true },
      ...(options.wrtc ? { wrtc: options.wrtc as NonNullable<SimplePeerNs.Options['wrtc']> } : {}),
    });
    this.peer.on('signal', (data: unknown) => {
      if (!this.closed) handlers.signal(data);
    });
    this.peer.on('connect', () => {
      if (this.closed) return;
      const channel = this.channel();
      if (channel) {
        channel.bufferedAmountLowThreshold = options.lowWaterMark;
        // simple-peer owns `onbufferedamountlow`; a second listener leaves it working.
        channel.addEventListener?.('bufferedamountlow', () => {
          if (!this.closed) handlers.drain();
        });
      }
      this.open = true;
      handlers.open();
    });
    this.peer.on('data', (data: Uint8Array) => {
      // Node's Buffer and the bundle's Buffer shim are Uint8Array subclasses: hand out plain views.
      if (!this.closed) handlers.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
    let failure: unknown = undefined;
    this.peer.on('error', (err: unknown) => {
      failure = err;
    });
    this.peer.on('close', () => this.finish(failure));
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  get bufferedAmount(): number {
    return this.channel()?.bufferedAmount ?? 0;
  }

  send(chunk: Uint8Array): void {
    this.peer.send(chunk);
  }

  /** Feeds the remote peer's SDP or ICE candidate in. */
  signal(data: unknown): void {
    if (this.closed) return;
    this.peer.signal(data as SimplePeerNs.SignalData);
  }

  /** Closes the connection; `close` is reported once, with `cause`. */
  destroy(cause?: unknown): void {
    this.finish(cause);
  }

  private finish(cause: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.peer.destroy();
    this.handlers.close(cause);
  }

  private channel(): ChannelLike | undefined {
    // simple-peer keeps its RTCDataChannel private; its buffer accounting is what backpressure needs.
    return (this.peer as unknown as { _channel?: ChannelLike })._channel;
  }
}
