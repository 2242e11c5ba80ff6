/**
 * @module transport
 * The contract every transport (memory, relay, WebRTC) implements: it moves opaque frames
 * (already-encoded envelopes) between peers of one cluster and reports link health.
 */

export type PeerId = string;

/** How frames to a peer travel right now. */
export type LinkState = 'connecting' | 'webrtc' | 'relay' | 'memory' | 'down';

export interface LinkInfo {
  readonly peer: PeerId;
  readonly state: LinkState;
  /** Last measured round-trip time in milliseconds, or null before the first measurement. */
  readonly rttMs: number | null;
}

export interface TransportEvents {
  /** A frame arrived from `from`. */
  frame: (from: PeerId, frame: Uint8Array) => void;
  /** A peer became reachable (joined the room / link opened). */
  'peer-up': (peer: PeerId) => void;
  /** A peer left or its link is gone for good. */
  'peer-down': (peer: PeerId) => void;
  /** A link changed state (e.g. relay -> webrtc). */
  link: (info: LinkInfo) => void;
  /** A non-fatal problem (dropped frame and why, reconnect attempt...). */
  error: (err: Error) => void;
}

export interface Transport {
  readonly self: PeerId;
  /**
   * Queue a frame for `to`. Never throws for an unreachable peer (Raft tolerates loss); returns
   * false when the frame was dropped (peer unknown/down or the bounded queue is full).
   */
  send(to: PeerId, frame: Uint8Array): boolean;
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void;
  /** Peers currently known, with their link state. */
  links(): LinkInfo[];
  close(): Promise<void>;
}
