import { describe, expect, it } from 'vitest';
import { encodeCommand } from './commands.js';
import { SimKvStateMachine } from './kv-state-machine.js';

describe('SimKvStateMachine', () => {
  it('executes each (client, seq) once and answers duplicates from the session cache', () => {
    const sm = new SimKvStateMachine(1000);
    expect(sm.apply(1, encodeCommand({ t: 'reg', nonce: 'a' }))).toEqual({ kind: 'registered', nonce: 'a', client: 1 });
    const put = encodeCommand({ t: 'kv', client: 1, seq: 1, op: { kind: 'cas', key: 'x', expected: null, value: 'v' } });
    expect(sm.apply(2, put)).toMatchObject({ kind: 'kv', decision: 'apply', output: { ok: true } });
    // The same command appended again (a retry, or a duplicated forwarded proposal).
    expect(sm.apply(3, put)).toMatchObject({ kind: 'kv', decision: 'duplicate', output: { ok: true } });
    expect(sm.executions.get('1:1')).toBe(1);
    expect(sm.duplicatesSuppressed).toBe(1);
    expect(sm.read('x')).toEqual({ value: 'v' });
  });

  it('restores exactly from its snapshot, sessions included', () => {
    const sm = new SimKvStateMachine(1000);
    sm.apply(1, encodeCommand({ t: 'reg', nonce: 'a' }));
    sm.apply(2, encodeCommand({ t: 'kv', client: 1, seq: 1, op: { kind: 'put', key: 'k', value: '1' } }));
    const copy = new SimKvStateMachine(1000);
    copy.restore(sm.snapshot());
    expect(copy.snapshot()).toEqual(sm.snapshot());
    expect(copy.read('k')).toEqual({ value: '1' });
    const retry = encodeCommand({ t: 'kv', client: 1, seq: 1, op: { kind: 'put', key: 'k', value: '1' } });
    expect(copy.apply(3, retry)).toMatchObject({ decision: 'duplicate' });
  });

  it('treats empty entries as no-ops and rejects commands of unknown sessions', () => {
    const sm = new SimKvStateMachine(1000);
    expect(sm.apply(1, new Uint8Array(0))).toEqual({ kind: 'noop' });
    const op = encodeCommand({ t: 'kv', client: 42, seq: 1, op: { kind: 'put', key: 'k', value: '1' } });
    expect(sm.apply(2, op)).toMatchObject({ decision: 'expired' });
    expect(sm.read('k')).toEqual({ value: null });
  });
});
