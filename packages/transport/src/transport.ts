/**
 * @module transport
 * The contract every transport (memory, relay, WebRTC) implements: it moves opaque frames
 * (already-encoded envelopes) between peers of one cluster and reports link health.
 */

import type { RoomRecord } from './room-record.js';

export type PeerId = string;

/** How frames to a peer travel right now. */
export type LinkState = 'connecting' | 'webrtc' | 'relay' | 'memory' | 'down';

/**
 * Why frames to a peer go through the signaling relay instead of a direct WebRTC link:
 * - `forced`: the transport was told to (`forceRelay`, `meshraft peer --relay-only`).
 * - `webrtc-unavailable`: no RTCPeerConnection here (no native WebRTC, no `wrtc`).
 * - `no-candidates`: this side gathered no ICE candidate at all (e.g. `iceTransportPolicy:
 *   'relay'` with no reachable TURN server, or wrong TURN credentials).
 * - `no-answer`: the peer never answered this side's WebRTC offer (it runs relay-only, has no
 *   WebRTC, or its signals are lost).
 * - `ice-failed`: descriptions were exchanged but no candidate pair succeeded (NAT/firewall).
 * - `connecting`: the data channel has not opened yet (within `relayFallbackMs`); still trying.
 * - `link-dropped`: a data channel was open and closed; reconnecting.
 */
export type RelayReason = 'forced' | 'webrtc-unavailable' | 'no-candidates' | 'no-answer' | 'ice-failed' | 'connecting' | 'link-dropped';

/** One line for people (status output, the demo's member table) per RelayReason. */
export function describeRelayReason(reason: RelayReason): string {
  switch (reason) {
    case 'forced':
      return 'relay only by configuration';
    case 'webrtc-unavailable':
      return 'WebRTC is not available here';
    case 'no-candidates':
      return 'no ICE candidates gathered: check the TURN server and its credentials, or stay on the relay';
    case 'no-answer':
      return 'the peer does not answer WebRTC offers (relay-only or no WebRTC there)';
    case 'ice-failed':
      return 'no ICE candidate pair succeeded: configure a TURN server, or stay on the relay';
    case 'connecting':
      return 'direct link still connecting';
    case 'link-dropped':
      return 'direct link dropped; reconnecting';
  }
}

/** ICE candidate type as in RTCIceCandidate.type (`relay` = through a TURN server). */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** The candidate pair a WebRTC data channel runs over. */
export interface IceRoute {
  readonly local: CandidateType;
  readonly remote: CandidateType;
}

export interface LinkInfo {
  readonly peer: PeerId;
  readonly state: LinkState;
  /** Last measured round-trip time in milliseconds, or null before the first measurement. */
  readonly rttMs: number | null;
  /** With state `relay` on the WebRTC transport: why there is no direct link. */
  readonly relayReason?: RelayReason;
  /** With state `webrtc`: the candidate types of the pair in use, once getStats told. */
  readonly route?: IceRoute;
}

export interface TransportEvents {
  /** A frame arrived from `from`. */
  frame: (from: PeerId, frame: Uint8Array) => void;
  /** A peer became reachable (joined the room / link opened). */
  'peer-up': (peer: PeerId) => void;
  /** A peer left or its link is gone for good. */
  'peer-down': (peer: PeerId) => void;
  /** A link changed state (e.g. relay -> webrtc), or its `relayReason` or `route`. */
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
  /** The room's record of its cluster id, when the transport meets peers in a room that keeps one. */
  readonly room?: RoomRecord;
}
