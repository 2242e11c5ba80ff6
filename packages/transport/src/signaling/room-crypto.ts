/**
 * @module room-crypto
 * End-to-end protection of signals and relayed frames with a room secret, so the signaling server
 * (and peers of other rooms) can neither read nor forge them.
 *
 * Key: HKDF-SHA-256(secret, salt = "meshraft/room-key/v1", info = room) -> AES-256-GCM.
 * Sealed message: 12-byte random IV || ciphertext || 16-byte tag, where the plaintext starts with
 * a 16-byte counter: the sender's epoch (float64 ms, strictly increasing per process) and a
 * sequence number (float64, counting up per cipher). The AAD binds the kind (signal/frame),
 * room, sender and receiver, so a sealed message cannot be moved to another peer, room or
 * channel; the authenticated counter lets the receiver drop a replay to the same peer
 * (replay-window.ts).
 */
import { AuthenticationError } from '../errors.js';

const encoder = new TextEncoder();
const IV_BYTES = 12;
const TAG_BYTES = 16;
const COUNTER_BYTES = 16;
/** Bytes sealing adds to a payload: IV, counter and GCM tag. */
export const SEAL_OVERHEAD = IV_BYTES + COUNTER_BYTES + TAG_BYTES;

/** Epochs handed out in this process, so two ciphers created in the same millisecond differ. */
let lastEpoch = 0;
function nextEpoch(): number {
  lastEpoch = Math.max(Date.now(), lastEpoch + 1);
  return lastEpoch;
}

export type SealedKind = 'signal' | 'frame';

/** An opened message: its payload and the sender's authenticated counter. */
export interface OpenedMessage {
  readonly plaintext: Uint8Array;
  readonly epoch: number;
  readonly seq: number;
}

export interface RoomCipher {
  /** Seals with the next sequence number of this cipher's epoch. */
  seal(kind: SealedKind, from: string, to: string, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects with AuthenticationError when the message was not sealed with this room's key. */
  open(kind: SealedKind, from: string, to: string, sealed: Uint8Array): Promise<OpenedMessage>;
}

function aad(kind: SealedKind, room: string, from: string, to: string): Uint8Array<ArrayBuffer> {
  // Room and peer ids cannot contain control characters, so NUL separators are unambiguous.
  return encoder.encode(`meshraft/v1\0${kind}\0${room}\0${from}\0${to}`);
}

export async function createRoomCipher(secret: string | Uint8Array, room: string): Promise<RoomCipher> {
  const subtle = globalThis.crypto.subtle;
  const secretBytes = typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
  const base = await subtle.importKey('raw', secretBytes, 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('meshraft/room-key/v1'), info: encoder.encode(room) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const epoch = nextEpoch();
  let seq = 0;
  return {
    async seal(kind, from, to, plaintext) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const body = new Uint8Array(COUNTER_BYTES + plaintext.byteLength);
      const view = new DataView(body.buffer);
      view.setFloat64(0, epoch);
      view.setFloat64(8, seq++);
      body.set(plaintext, COUNTER_BYTES);
      const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(kind, room, from, to) }, key, body);
      const out = new Uint8Array(IV_BYTES + ct.byteLength);
      out.set(iv);
      out.set(new Uint8Array(ct), IV_BYTES);
      return out;
    },
    async open(kind, from, to, sealed) {
      if (sealed.length < SEAL_OVERHEAD) throw new AuthenticationError(from);
      let pt: ArrayBuffer;
      try {
        pt = await subtle.decrypt(
          { name: 'AES-GCM', iv: sealed.subarray(0, IV_BYTES) as Uint8Array<ArrayBuffer>, additionalData: aad(kind, room, from, to) },
          key,
          sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
        );
      } catch (cause) {
        throw new AuthenticationError(from, { cause });
      }
      const view = new DataView(pt);
      const epochIn = view.getFloat64(0);
      const seqIn = view.getFloat64(8);
      if (!Number.isSafeInteger(epochIn) || !Number.isSafeInteger(seqIn) || seqIn < 0) {
        throw new AuthenticationError(from, { cause: new Error('bad counter') });
      }
      return { plaintext: new Uint8Array(pt, COUNTER_BYTES), epoch: epochIn, seq: seqIn };
    },
  };
}

/** Base64 without Buffer, so the same code runs in browsers. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
