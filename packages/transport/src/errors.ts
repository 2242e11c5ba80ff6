/**
 * @module errors
 * Typed errors of the transport layer. Receivers never throw these out of event handlers: they
 * count them in a FrameStats and report them on the `error` event.
 *
 * Codes:
 * - MALFORMED_FRAME: bytes are not a meshraft envelope (bad msgpack, wrong shape).
 * - FOREIGN_CLUSTER: a valid envelope for another cluster id.
 * - PROTOCOL_VERSION: an envelope of an unsupported protocol version.
 * - FRAME_TOO_LARGE: a frame above the configured maximum size.
 * - MISADDRESSED_FRAME: an envelope whose `to` is not this peer.
 * - AUTH_FAILED: a signal or relayed frame that failed end-to-end authentication (wrong or
 *   missing room secret, tampering, or sender/receiver/room mismatch).
 * - REPLAYED: a sealed signal or relayed frame that authenticated but was delivered before (or
 *   carries an older sender epoch): a replay, dropped.
 * - SIGNALING (with `reason`): the signaling server answered with an error message.
 * - SIGNALING_CLOSED: the signaling client was closed; no more sends are possible.
 */
import { MeshraftError } from '@meshraft/core';
import type { SignalingErrorCode } from '@meshraft/signaling-server/protocol';

export class MalformedFrameError extends MeshraftError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('MALFORMED_FRAME', `malformed frame: ${reason}`, options);
  }
}

export class ForeignClusterError extends MeshraftError {
  constructor(readonly expected: string, readonly actual: string) {
    super('FOREIGN_CLUSTER', `frame for cluster "${actual}", expected "${expected}"`);
  }
}

export class ProtocolVersionError extends MeshraftError {
  constructor(readonly expected: number, readonly actual: unknown) {
    super('PROTOCOL_VERSION', `frame has protocol version ${String(actual)}, expected ${expected}`);
  }
}

export class FrameTooLargeError extends MeshraftError {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super('FRAME_TOO_LARGE', `frame of ${bytes} bytes exceeds the maximum of ${maxBytes}`);
  }
}

export class MisaddressedFrameError extends MeshraftError {
  constructor(readonly self: string, readonly to: string) {
    super('MISADDRESSED_FRAME', `frame addressed to "${to}" arrived at "${self}"`);
  }
}

export class AuthenticationError extends MeshraftError {
  constructor(readonly from: string, options?: { cause?: unknown }) {
    super('AUTH_FAILED', `message from "${from}" failed end-to-end authentication`, options);
  }
}

export class ReplayedMessageError extends MeshraftError {
  constructor(readonly from: string, readonly kind: 'signal' | 'frame', readonly epoch: number, readonly seq: number) {
    super('REPLAYED', `${kind} from "${from}" (epoch ${epoch}, #${seq}) was already delivered: replay dropped`);
  }
}

/** The signaling server rejected something; `reason` is the server's error code. */
export class SignalingError extends MeshraftError {
  constructor(readonly reason: SignalingErrorCode, message: string, readonly peer?: string) {
    super('SIGNALING', `signaling server: ${reason}: ${message}`);
  }
}

export class SignalingClosedError extends MeshraftError {
  constructor() {
    super('SIGNALING_CLOSED', 'the signaling client is closed');
  }
}
