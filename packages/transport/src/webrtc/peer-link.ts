/**
 * @module webrtc/peer-link
 * One WebRTC connection to one peer: a simple-peer instance with a single reliable, ordered data
 * channel. It exposes the channel as a ChunkSink (with its real `bufferedAmount`) and a `drain`
 * callback from `bufferedamountlow`, which simple-peer's own `send()` ignores. It also keeps the
 * ICE facts the transport needs to say why no channel opened, and the candidate types of the
 * pair in use (host, srflx, prflx or relay = through TURN).
 */
import type SimplePeerNs from 'simple-peer';
import type { CandidateType, IceRoute } from '../transport.js';
import type { ChunkSink } from './send-queue.js';
import { writeTrace, writeTracing } from '../write-trace.js';

/** The three constructors simple-peer needs outside a browser (e.g. `@roamhq/wrtc`). */
export interface WrtcLike {
  readonly RTCPeerConnection: unknown;
  readonly RTCSessionDescription: unknown;
  readonly RTCIceCandidate: unknown;
}

export type SimplePeerConstructor = SimplePeerNs.SimplePeer;


/** How far ICE got on one connection. */
export interface IceProgress {
  /** Candidates this side gathered (and signalled). */
  readonly localCandidates: number;
  readonly remoteCandidates: number;
  /** The remote side's offer or answer arrived. */
  readonly remoteDescription: boolean;
  /** RTCPeerConnection.iceConnectionState / iceGatheringState as last reported. */
  readonly iceState: string;
  readonly gathering: string;
}

export interface PeerLinkOptions {
  readonly initiator: boolean;
  readonly iceServers: readonly RTCIceServer[];
  /** 'relay' = TURN candidates only (RTCConfiguration.iceTransportPolicy). */
  readonly iceTransportPolicy: 'all' | 'relay';
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
  /** ICE connection or gathering state changed. */
  ice(): void;
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
  private progress: { -readonly [K in keyof IceProgress]: IceProgress[K] } = {
    localCandidates: 0, remoteCandidates: 0, remoteDescription: false, iceState: 'new', gathering: 'new',
  };

  constructor(SimplePeer: SimplePeerConstructor, options: PeerLinkOptions, private readonly handlers: PeerLinkHandlers) {
    this.peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      config: { iceServers: [...options.iceServers], iceTransportPolicy: options.iceTransportPolicy },
      channelConfig: { ordered: true },
      ...(options.wrtc ? { wrtc: options.wrtc as NonNullable<SimplePeerNs.Options['wrtc']> } : {}),
    });
    this.peer.on('signal', (data: unknown) => {
      if (this.closed) return;
      if (isCandidate(data)) this.progress.localCandidates++;
      handlers.signal(data);
    });
    this.peer.on('iceStateChange', (iceState: string, gathering: string) => {
      if (this.closed) return;
      this.progress.iceState = iceState;
      this.progress.gathering = gathering;
      handlers.ice();
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
      if (writeTracing) writeTrace('rx', data.byteLength);
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
    if (writeTracing) writeTrace('tx0', chunk.byteLength);
    this.peer.send(chunk); // synchronous in @roamhq/wrtc: it waits for the WebRTC network thread
    if (writeTracing) writeTrace('tx1');
  }

  /** How far ICE got (for the relay reason). */
  ice(): IceProgress {
    return { ...this.progress };
  }

  /** The candidate types of the pair in use, from getStats; null when not (yet) known. */
  route(): Promise<IceRoute | null> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(null);
      // simple-peer's getStats (flattened reports) is untyped in @types/simple-peer.
      const peer = this.peer as unknown as { getStats(cb: (err: Error | null, reports: StatsReport[]) => void): void };
      peer.getStats((err, reports) => resolve(err ? null : selectedRoute(reports)));
    });
  }

  /** Feeds the remote peer's SDP or ICE candidate in. */
  signal(data: unknown): void {
    if (this.closed) return;
    if (isCandidate(data)) this.progress.remoteCandidates++;
    const type = (data as { type?: unknown } | null)?.type;
    if (type === 'offer' || type === 'answer') this.progress.remoteDescription = true;
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

/** simple-peer signals a trickled candidate as `{type: 'candidate', candidate}`. */
function isCandidate(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'candidate';
}

interface StatsReport {
  readonly id: string;
  readonly type: string;
  readonly selectedCandidatePairId?: string;
  readonly selected?: boolean;
  readonly nominated?: boolean;
  readonly state?: string;
  readonly localCandidateId?: string;
  readonly remoteCandidateId?: string;
  readonly candidateType?: string;
}

const CANDIDATE_TYPES: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];

/** The selected pair: by the transport's pointer (spec), `selected` (Firefox), or nominated+succeeded. */
function selectedRoute(reports: readonly StatsReport[]): IceRoute | null {
  const byId = new Map(reports.map((r) => [r.id, r]));
  const pairs = reports.filter((r) => r.type === 'candidate-pair' || r.type === 'candidatepair');
  const pointer = reports.find((r) => r.type === 'transport' && r.selectedCandidatePairId)?.selectedCandidatePairId;
  const pair = (pointer !== undefined ? byId.get(pointer) : undefined)
    ?? pairs.find((p) => p.selected === true)
    ?? pairs.find((p) => p.nominated === true && p.state === 'succeeded');
  const local = pair?.localCandidateId !== undefined ? byId.get(pair.localCandidateId)?.candidateType : undefined;
  const remote = pair?.remoteCandidateId !== undefined ? byId.get(pair.remoteCandidateId)?.candidateType : undefined;
  if (local === undefined || remote === undefined || !CANDIDATE_TYPES.includes(local) || !CANDIDATE_TYPES.includes(remote)) return null;
  return { local: local as CandidateType, remote: remote as CandidateType };
}
