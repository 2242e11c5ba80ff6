import { describe, expect, it } from 'vitest';
import { createRoomCipher, fromBase64, toBase64 } from './room-crypto.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('room crypto', () => {
  it('opens what it sealed, and nothing that was moved, altered or sealed with another key', async () => {
    const c = await createRoomCipher('secret', 'room-1');
    const sealed = await c.seal('frame', 'a', 'b', bytes('hello'));
    expect(new TextDecoder().decode(await c.open('frame', 'a', 'b', sealed))).toBe('hello');
    expect(sealed.length).toBe(5 + 28);

    const otherRoom = await createRoomCipher('secret', 'room-2');
    const otherSecret = await createRoomCipher('not the secret', 'room-1');
    const tampered = sealed.slice();
    tampered[20]! ^= 1;
    const attempts: [string, () => Promise<Uint8Array>][] = [
      ['server lies about the sender', () => c.open('frame', 'c', 'b', sealed)],
      ['forwarded to another receiver', () => c.open('frame', 'a', 'c', sealed)],
      ['reflected back', () => c.open('frame', 'b', 'a', sealed)],
      ['frame replayed as a signal', () => c.open('signal', 'a', 'b', sealed)],
      ['other room, same secret', () => otherRoom.open('frame', 'a', 'b', sealed)],
      ['wrong secret', () => otherSecret.open('frame', 'a', 'b', sealed)],
      ['one bit flipped', () => c.open('frame', 'a', 'b', tampered)],
      ['truncated', () => c.open('frame', 'a', 'b', sealed.subarray(0, 20))],
      ['plaintext', () => c.open('frame', 'a', 'b', bytes('hello, this is not sealed at all'))],
    ];
    for (const [what, attempt] of attempts) {
      await expect(attempt(), what).rejects.toMatchObject({ code: 'AUTH_FAILED', from: expect.any(String) });
    }
  });

  it('uses a fresh IV per message', async () => {
    const c = await createRoomCipher(new Uint8Array([1, 2, 3]), 'r');
    const [x, y] = await Promise.all([c.seal('signal', 'a', 'b', bytes('same')), c.seal('signal', 'a', 'b', bytes('same'))]);
    expect(toBase64(x)).not.toBe(toBase64(y));
    expect(fromBase64(toBase64(x))).toEqual(x);
  });
});
