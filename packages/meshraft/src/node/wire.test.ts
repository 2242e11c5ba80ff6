import type { Message } from '@meshraft/core';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './wire.js';

describe('wire', () => {
  it('round-trips a raft message with binary entries', () => {
    const msg: Message = {
      type: 'app',
      from: 'a',
      to: 'b',
      term: 3,
      index: 6,
      logTerm: 3,
      commit: 5,
      entries: [{ term: 3, index: 7, type: 0, data: new Uint8Array([1, 2]) }],
    };
    const f = decodeFrame('c1', encodeFrame('c1', 'a', 'b', { kind: 'raft', msg }));
    expect(f).toEqual({ from: 'a', to: 'b', payload: { kind: 'raft', msg } });
  });

  it('carries a lease stamp beside a raft message and drops one that is not a finite number', () => {
    const msg: Message = { type: 'heartbeatResp', from: 'b', to: 'a', term: 2, context: null };
    const f = decodeFrame('c1', encodeFrame('c1', 'b', 'a', { kind: 'raft', msg, answers: 1234.5 }));
    expect(f?.payload).toEqual({ kind: 'raft', msg, answers: 1234.5 });
    for (const bad of [{ answers: 'soon' }, { sentAt: Number.NaN }, { sentAt: null }]) {
      expect(decodeFrame('c1', encodeFrame('c1', 'b', 'a', { kind: 'raft', msg, ...bad } as never))).toBeUndefined();
    }
  });

  it('round-trips a join request', () => {
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'join', node: 'n' }))?.payload).toEqual({ kind: 'join', node: 'n' });
  });

  it('round-trips a campaign switch and drops one without a boolean', () => {
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'campaign', enabled: false }))?.payload).toEqual({ kind: 'campaign', enabled: false });
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'campaign', enabled: 'no' } as never))).toBeUndefined();
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'campaign', enabled: true, ephemeral: true }))?.payload).toEqual({ kind: 'campaign', enabled: true, ephemeral: true });
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'campaign', enabled: true, ephemeral: 1 } as never))).toBeUndefined();
  });

  it('round-trips a depart and an outside notice, and drops malformed ones', () => {
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'depart', node: 'n' }))?.payload).toEqual({ kind: 'depart', node: 'n' });
    expect(decodeFrame('c1', encodeFrame('c1', 'a', 'n', { kind: 'outside', at: 42 }))?.payload).toEqual({ kind: 'outside', at: 42 });
    expect(decodeFrame('c1', encodeFrame('c1', 'n', 'a', { kind: 'depart', node: '' }))).toBeUndefined();
    expect(decodeFrame('c1', encodeFrame('c1', 'a', 'n', { kind: 'outside', at: -1 }))).toBeUndefined();
    expect(decodeFrame('c1', encodeFrame('c1', 'a', 'n', { kind: 'outside', at: 1.5 }))).toBeUndefined();
    expect(decodeFrame('c1', encodeFrame('c1', 'a', 'n', { kind: 'outside', at: 3, final: true }))?.payload).toEqual({ kind: 'outside', at: 3, final: true });
    expect(decodeFrame('c1', encodeFrame('c1', 'a', 'n', { kind: 'outside', at: 3, final: 'yes' } as never))).toBeUndefined();
  });

  it('drops foreign clusters, garbage and malformed payloads', () => {
    expect(decodeFrame('c2', encodeFrame('c1', 'a', 'b', { kind: 'join', node: 'a' }))).toBeUndefined();
    expect(decodeFrame('c1', new Uint8Array([0xc1, 0xff]))).toBeUndefined();
    const bad = encodeFrame('c1', 'a', 'b', { kind: 'raft', msg: { type: 'app', from: 'a', to: 'b' } as never });
    expect(decodeFrame('c1', bad)).toBeUndefined();
  });
});
