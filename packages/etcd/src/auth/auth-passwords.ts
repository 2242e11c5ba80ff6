/**
 * @module auth/auth-passwords
 * Salted password hashes, computed on the member that receives UserAdd/UserChangePassword and
 * carried in the command, so apply stays deterministic and no cleartext reaches the log: scrypt
 * from node:crypto with a fresh 16-byte salt (etcd uses bcrypt; the scheme string says which).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHash } from 'meshraft/kv';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
export const PASSWORD_SCHEME = `scrypt:N=${N},r=${R},p=${P}`;

function derive(password: string, salt: Uint8Array, options: ScryptOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key)))),
  );
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = new Uint8Array(randomBytes(16));
  return { scheme: PASSWORD_SCHEME, salt, hash: await derive(password, salt, { N, r: R, p: P }) };
}

/** Whether `password` matches; a hash of an unknown scheme never matches. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.scheme !== PASSWORD_SCHEME) return false;
  const key = await derive(password, stored.salt, { N, r: R, p: P });
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}
