/**
 * @module envelope
 * The wire envelope every transport carries: msgpack of
 * `[version, cluster, from, to, payload]` (an array, so field names cost no bytes).
 * `payload` is any msgpack-able value; every binary inside it decodes as a plain Uint8Array
 * (never a Node Buffer, never a number[]), so Raft messages round-trip structurally equal.
 */
import { Packr } from 'msgpackr';
import {
  ForeignClusterError,
  FrameTooLargeError,
  MalformedFrameError,
  MisaddressedFrameError,
  ProtocolVersionError,
} from '../errors.js';

export const ENVELOPE_VERSION = 1;
/**
 * Default maximum encoded envelope size: what every transport carries by default (WebRTC frames
 * and fragmented relay frames are up to 16 MiB), minus headroom.
 */
export const DEFAULT_MAX_ENVELOPE_BYTES = 16 * 1024 * 1024 - 1024;

export interface Envelope<P = unknown> {
  readonly cluster: string;
  readonly from: string;
  readonly to: string;
  readonly payload: P;
}

export interface EnvelopeOptions {
  readonly maxBytes?: number;
}

export interface DecodeOptions extends EnvelopeOptions {
  /** The receiver's cluster id: envelopes of other clusters are rejected. */
  readonly cluster: string;
  /** The receiver's peer id: when given, envelopes addressed to someone else are rejected. */
  readonly self?: string;
}

// Plain msgpack: no records/structures (peers must not share decoder state), no bundled strings.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function encodeEnvelope(envelope: Envelope, options: EnvelopeOptions = {}): Uint8Array {
  const max = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  const packed = packr.pack([ENVELOPE_VERSION, envelope.cluster, envelope.from, envelope.to, envelope.payload]);
  // msgpackr returns a Buffer in Node; hand out a plain Uint8Array view of the same bytes.
  const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  if (bytes.length > max) throw new FrameTooLargeError(bytes.length, max);
  return bytes;
}

/**
 * Decode and validate; throws MalformedFrameError, ProtocolVersionError, ForeignClusterError,
 * FrameTooLargeError or (with `self`) MisaddressedFrameError.
 */
export function decodeEnvelope(bytes: Uint8Array, options: DecodeOptions): Envelope {
  const max = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  if (!(bytes instanceof Uint8Array)) throw new MalformedFrameError('not bytes');
  if (bytes.length > max) throw new FrameTooLargeError(bytes.length, max);
  if (bytes.length === 0) throw new MalformedFrameError('empty frame');
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw new MalformedFrameError('not msgpack', { cause });
  }
  if (!Array.isArray(value) || value.length !== 5) throw new MalformedFrameError('not an envelope array');
  const [version, cluster, from, to, payload] = value as unknown[];
  if (version !== ENVELOPE_VERSION) {
    if (typeof version !== 'number') throw new MalformedFrameError('version is not a number');
    throw new ProtocolVersionError(ENVELOPE_VERSION, version);
  }
  if (typeof cluster !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
    throw new MalformedFrameError('cluster/from/to must be strings');
  }
  if (cluster !== options.cluster) throw new ForeignClusterError(options.cluster, cluster);
  if (options.self !== undefined && to !== options.self) throw new MisaddressedFrameError(options.self, to);
  return { cluster, from, to, payload: plainBinaries(payload) };
}

/** Replace Buffers (Node's msgpack output) by plain Uint8Array copies, recursively. */
function plainBinaries(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    // Copy so the payload does not pin the whole received frame in memory.
    return value.constructor === Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
      ? value
      : new Uint8Array(value);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = plainBinaries(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) obj[key] = plainBinaries(obj[key]);
    return obj;
  }
  return value;
}
