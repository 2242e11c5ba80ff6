/**
 * @module room-crypto
 * End-to-end protection of signals and relayed frames with a room secret, so the signaling server
 * (and peers of other rooms) can neither read nor forge them.
 *
 * Key: HKDF-SHA-256(secret, salt = "meshraft/room-key/v1", info = room) -> AES-256-GCM.
 * Sealed message: 12-byte random IV || ciphertext || 16-byte tag. The AAD binds the kind
 * (signal/frame), room, sender and receiver, so a sealed message cannot be replayed to another
 * peer, room or channel. Replays of the same message to the same peer are NOT detected here
 * (Raft tolerates duplicates; WebRTC signaling ignores stale SDP).
 */
import { AuthenticationError } from '../errors.js';

const encoder = new TextEncoder();
const IV_BYTES = 12;

export type SealedKind = 'signal' | 'frame';

export interface RoomCipher {
  seal(kind: SealedKind, from: string, to: string, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects with AuthenticationError when the message was not sealed with this room's key. */
  open(kind: SealedKind, from: string, to: string, sealed: Uint8Array): Promise<Uint8Array>;
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
  return {
    async seal(kind, from, to, plaintext) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ct = await subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad(kind, room, from, to) },
        key,
        plaintext as Uint8Array<ArrayBuffer>,
      );
      const out = new Uint8Array(IV_BYTES + ct.byteLength);
      out.set(iv);
      out.set(new Uint8Array(ct), IV_BYTES);
      return out;
    },
    async open(kind, from, to, sealed) {
      if (sealed.length < IV_BYTES + 16) throw new AuthenticationError(from);
      try {
        const pt = await subtle.decrypt(
          { name: 'AES-GCM', iv: sealed.subarray(0, IV_BYTES) as Uint8Array<ArrayBuffer>, additionalData: aad(kind, room, from, to) },
          key,
          sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
        );
        return new Uint8Array(pt);
      } catch (cause) {
        throw new AuthenticationError(from, { cause });
      }
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
