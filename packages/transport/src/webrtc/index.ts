/**
 * @module webrtc
 * `@meshraft/transport/webrtc`: the WebRTC transport with relay fallback.
 */
export { createWebRtcTransport, type WebRtcTransportOptions } from './webrtc-transport.js';
export type { WrtcLike } from './peer-link.js';
export type { BackoffOptions } from '../backoff.js';
export type { WakeDetectorOptions } from './wake-detector.js';
export { BadChunkError, BadOptionsError, PeerLinkError, QueueFullError, WebRtcUnavailableError } from './errors.js';
