/** Snapshot payloads: written in one buffer, with the bytes msgpackr wrote before. */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeSnapshotPayload, encodeSnapshotPayload } from './entry-codec.js';
import type { SessionTableData } from './sessions.js';

const packr = new Packr({ useRecords: false });

describe('snapshot payload', () => {
  const sessions: SessionTableData = [
    ['client-a', 3, 17, [[4, { ok: true, revision: 9 }], [5, 'done']]],
    ['client-b', 0, 2 ** 40, []],
  ];

  for (const size of [0, 10, 255, 256, 70_000]) {
    it(`of a ${size}-byte state is packr.pack([state, sessions]) and decodes back`, () => {
      const state = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
      const bytes = encodeSnapshotPayload({ state, sessions });
      expect(Buffer.from(bytes).equals(Buffer.from(packr.pack([state, sessions])))).toBe(true);
      const back = decodeSnapshotPayload(bytes);
      expect(Buffer.from(back.state).equals(Buffer.from(state))).toBe(true);
      expect(back.sessions).toEqual(sessions);
    });
  }
});
