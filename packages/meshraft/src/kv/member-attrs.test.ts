import { describe, expect, it } from 'vitest';
import { put } from './kv-commands.js';
import { parseKvCommand } from './kv-command-parser.js';
import { KvErrorCode } from './kv-errors.js';
import { createKvStateMachine } from './kv-state-machine.js';
import { MAX_MEMBER_ATTRS_ENTRIES, MAX_MEMBER_TEXT, MAX_MEMBER_URL_LENGTH, MAX_MEMBER_URLS } from './member-attrs.js';
import { pack, unpack } from './msgpack.js';
import type { KvCommand, KvResult } from './kv-types.js';

const ctx = { index: 1, term: 1 };
const attrs = (id: string, fields: Record<string, unknown>) => ({ type: 'memberAttrs', id, ...fields }) as KvCommand;

/** Apply through the entry bytes, as a node does. */
function applyBytes(sm: ReturnType<typeof createKvStateMachine>, command: unknown): KvResult {
  return sm.apply(sm.decodeCommand(pack(command)), ctx);
}

function failureCode(r: KvResult): string | undefined {
  return r.ok ? undefined : r.code;
}

describe('member attributes in the KV state machine', () => {
  it('records name and URLs per member, merging the fields each command gives, without a new revision', () => {
    const sm = createKvStateMachine();
    sm.apply(put('k', 'v'), ctx);
    expect(applyBytes(sm, attrs('a', { name: 'alpha', clientUrls: ['http://127.0.0.1:1'] }))).toEqual({ type: 'memberAttrs', ok: true, revision: 2 });
    applyBytes(sm, attrs('a', { peerUrls: ['http://x:2380'] }));
    applyBytes(sm, attrs('b', { name: '' }));
    expect(sm.revision).toBe(2);
    expect(sm.members.get('a')).toEqual({ name: 'alpha', clientUrls: ['http://127.0.0.1:1'], peerUrls: ['http://x:2380'] });
    expect(sm.members.list().map(([id]) => id)).toEqual(['a', 'b']);
    applyBytes(sm, attrs('a', { forget: true }));
    expect(sm.members.get('a')).toBeUndefined();
  });

  it("refuses peer URLs another member recorded (KV_PEER_URL_EXISTS), changing nothing; a member's own are fine", () => {
    const sm = createKvStateMachine();
    applyBytes(sm, attrs('a', { peerUrls: ['http://a:1', 'http://a:2'] }));
    expect(failureCode(applyBytes(sm, attrs('b', { name: 'b', peerUrls: ['http://a:2'] })))).toBe(KvErrorCode.PeerUrlExists);
    expect(sm.members.get('b')).toBeUndefined();
    expect(applyBytes(sm, attrs('a', { peerUrls: ['http://a:2'] })).ok).toBe(true);
  });

  it('bounds the table: a member past the limit is refused, known ones still update', () => {
    const sm = createKvStateMachine();
    for (let i = 0; i < MAX_MEMBER_ATTRS_ENTRIES; i++) expect(applyBytes(sm, attrs(`m${i}`, { name: 'x' })).ok).toBe(true);
    expect(failureCode(applyBytes(sm, attrs('one-more', { name: 'x' })))).toBe(KvErrorCode.InvalidCommand);
    expect(applyBytes(sm, attrs('m0', { name: 'y' })).ok).toBe(true);
  });

  it('keeps the table in the snapshot: restore gives the same members and the same bytes', () => {
    const sm = createKvStateMachine();
    sm.apply(put('k', 'v'), ctx);
    applyBytes(sm, attrs('b', { name: 'beta', peerUrls: ['http://b:2380'], clientUrls: [] }));
    applyBytes(sm, attrs('a', { name: 'alpha' }));
    const snap = sm.snapshot();
    const copy = createKvStateMachine();
    copy.restore(snap);
    expect(copy.members.list()).toEqual(sm.members.list());
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(snap))).toBe(true);
    // A snapshot without the table clears what a replica had.
    copy.restore(createKvStateMachine().snapshot());
    expect(copy.members.list()).toEqual([]);
  });

  it('loads snapshots made before the table existed (6 fields, and 7 with auth), and keeps their bytes while the table is empty', () => {
    const sm = createKvStateMachine();
    sm.apply(put('k', 'v'), ctx);
    const old = sm.snapshot();
    expect((unpack(old) as unknown[]).length).toBe(6);
    expect(sm.apply({ type: 'auth', op: 'userAdd', name: 'u' }, ctx).ok).toBe(true);
    const withAuth = sm.snapshot();
    expect((unpack(withAuth) as unknown[]).length).toBe(7);
    for (const snap of [old, withAuth]) {
      const copy = createKvStateMachine();
      applyBytes(copy, attrs('a', { name: 'alpha' }));
      copy.restore(snap);
      expect(copy.members.list()).toEqual([]);
      expect(Buffer.from(copy.snapshot()).equals(Buffer.from(snap))).toBe(true);
    }
    // With auth and the table both set, auth survives the trip too.
    applyBytes(sm, attrs('a', { name: 'alpha' }));
    const both = createKvStateMachine();
    both.restore(sm.snapshot());
    expect(both.auth.user('u')).toBeDefined();
    expect(both.members.get('a')).toEqual({ name: 'alpha' });
  });

  it('refuses a snapshot with a malformed table (KV_INVALID_SNAPSHOT), keeping its state', () => {
    const sm = createKvStateMachine();
    applyBytes(sm, attrs('a', { name: 'alpha' }));
    const fields = unpack(sm.snapshot()) as unknown[];
    const bad = createKvStateMachine();
    applyBytes(bad, attrs('z', { name: 'zeta' }));
    for (const table of [[['a', 7, null, null]], [['a', null, null]], 'x', [['', null, null, null]]]) {
      expect(() => bad.restore(pack([...fields.slice(0, 7), table]))).toThrow(expect.objectContaining({ code: KvErrorCode.InvalidSnapshot }));
    }
    expect(bad.members.get('z')).toEqual({ name: 'zeta' });
  });

  it('the parser rejects bad input with KV_INVALID_COMMAND; decoding it never throws', () => {
    const long = 'x'.repeat(MAX_MEMBER_URL_LENGTH + 1);
    const cases: Record<string, unknown>[] = [
      { type: 'memberAttrs' },
      { type: 'memberAttrs', id: '' },
      { type: 'memberAttrs', id: 7 },
      { type: 'memberAttrs', id: 'x'.repeat(MAX_MEMBER_TEXT + 1) },
      { type: 'memberAttrs', id: 'a', name: 3 },
      { type: 'memberAttrs', id: 'a', name: 'n'.repeat(MAX_MEMBER_TEXT + 1) },
      { type: 'memberAttrs', id: 'a', peerUrls: 'http://a:1' },
      { type: 'memberAttrs', id: 'a', peerUrls: [1] },
      { type: 'memberAttrs', id: 'a', clientUrls: [''] },
      { type: 'memberAttrs', id: 'a', clientUrls: [long] },
      { type: 'memberAttrs', id: 'a', clientUrls: Array.from({ length: MAX_MEMBER_URLS + 1 }, (_, i) => `http://h:${i}`) },
      { type: 'memberAttrs', id: 'a', forget: 'yes' },
    ];
    for (const c of cases) {
      expect(() => parseKvCommand(c), JSON.stringify(c).slice(0, 80)).toThrow(expect.objectContaining({ code: KvErrorCode.InvalidCommand }));
      const sm = createKvStateMachine();
      expect(failureCode(applyBytes(sm, c))).toBe(KvErrorCode.InvalidCommand);
      expect(sm.members.list()).toEqual([]);
    }
    // Unknown fields are dropped; the limits themselves are accepted.
    expect(parseKvCommand({ type: 'memberAttrs', id: 'a', extra: 1, clientUrls: Array.from({ length: MAX_MEMBER_URLS }, () => 'u'.repeat(MAX_MEMBER_URL_LENGTH)) })).toEqual({
      type: 'memberAttrs',
      id: 'a',
      clientUrls: Array.from({ length: MAX_MEMBER_URLS }, () => 'u'.repeat(MAX_MEMBER_URL_LENGTH)),
    });
  });
});
