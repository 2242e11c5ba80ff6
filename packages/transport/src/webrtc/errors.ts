/**
 * @module webrtc/errors
 * Errors the WebRTC transport throws or reports through its `error` event. `FRAME_TOO_LARGE` is
 * the transport-wide `FrameTooLargeError` (`../errors.js`): thrown by `send` for a frame over
 * `maxFrameBytes`, reported when a peer announces one. The codes defined here:
 * - `BAD_CHUNK`: a data-channel message is not a valid chunk (corrupt or from another protocol).
 * - `QUEUE_FULL`: a frame was dropped because the peer's bounded send queue is full.
 * - `WEBRTC_UNAVAILABLE`: no RTCPeerConnection here (no native WebRTC and no `wrtc` given); the
 *   transport then uses the relay for every peer.
 * - `PEER_LINK`: a peer connection failed or closed; the transport reconnects with backoff.
 * - `BAD_OPTIONS`: an option is out of range.
 * - `BAD_ICE_SERVER`: an `URL[,user,credential]` STUN/TURN server spec that cannot work
 *   (`ice-servers.ts`): unknown scheme, bad host or port, TURN without credentials.
 */
import { MeshraftError } from '@meshraft/core';

export class BadChunkError extends MeshraftError {
  constructor(readonly peer: string, reason: string) {
    super('BAD_CHUNK', `bad chunk from ${peer}: ${reason}`);
  }
}

export class QueueFullError extends MeshraftError {
  constructor(readonly peer: string, readonly queuedBytes: number, readonly maxQueuedBytes: number) {
    super('QUEUE_FULL', `send queue to ${peer} is full (${queuedBytes}/${maxQueuedBytes} bytes); frame dropped`);
  }
}

export class WebRtcUnavailableError extends MeshraftError {
  constructor(cause?: unknown) {
    super('WEBRTC_UNAVAILABLE', 'no RTCPeerConnection available; using the relay for every peer', { cause });
  }
}

export class PeerLinkError extends MeshraftError {
  constructor(readonly peer: string, message: string, cause?: unknown) {
    super('PEER_LINK', `link to ${peer}: ${message}`, { cause });
  }
}

export class BadOptionsError extends MeshraftError {
  constructor(message: string) {
    super('BAD_OPTIONS', message);
  }
}

export class BadIceServerError extends MeshraftError {
  constructor(readonly spec: string, reason: string) {
    super('BAD_ICE_SERVER', `bad ICE server "${spec}": ${reason}`);
  }
}
