import { describe, expect, it } from 'vitest';
import { createRoomCipher, fromBase64, SEAL_OVERHEAD, toBase64 } from './room-crypto.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('room crypto', () => {
  it('opens what it sealed, and nothing that was moved, altered or sealed with another key', async () => {
    const c = await createRoomCipher('secret', 'room-1');
    const sealed = await c.seal('frame', 'a', 'b', bytes('hello'));
    const opened = await c.open('frame', 'a', 'b', sealed);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello');
    expect(opened.seq).toBe(0);
    expect(sealed.length).toBe(5 + SEAL_OVERHEAD);

    const otherRoom = await createRoomCipher('secret', 'room-2');
    const otherSecret = await createRoomCipher('not the secret', 'room-1');
    const tampered = sealed.slice();
    tampered[20]! ^= 1;
    const attempts: [string, () => Promise<unknown>][] = [
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

  it('numbers messages per cipher, and a new cipher (a restart) gets a later epoch', async () => {
    const c = await createRoomCipher('s', 'r');
    const first = await c.open('signal', 'a', 'b', await c.seal('signal', 'a', 'b', bytes('1')));
    const second = await c.open('signal', 'a', 'b', await c.seal('signal', 'a', 'c', bytes('2')).then(() => c.seal('signal', 'a', 'b', bytes('3'))));
    expect([first.seq, second.seq]).toEqual([0, 2]);
    expect(second.epoch).toBe(first.epoch);
    const restarted = await createRoomCipher('s', 'r');
    const later = await c.open('signal', 'a', 'b', await restarted.seal('signal', 'a', 'b', bytes('4')));
    expect(later.epoch).toBeGreaterThan(first.epoch);
    expect(later.seq).toBe(0);
  });

  it('uses a fresh IV per message', async () => {
    const c = await createRoomCipher(new Uint8Array([1, 2, 3]), 'r');
    const [x, y] = await Promise.all([c.seal('signal', 'a', 'b', bytes('same')), c.seal('signal', 'a', 'b', bytes('same'))]);
    expect(toBase64(x)).not.toBe(toBase64(y));
    expect(fromBase64(toBase64(x))).toEqual(x);
  });
});
