/**
 * Replica-level properties: snapshots round-trip, replicas fed the same log agree byte for byte,
 * and malformed entries are answered identically without touching the state.
 */
import { describe, expect, it } from 'vitest';
import { harness } from './__tests__/kv-harness.js';
import { GOLDEN_WORKLOAD, randomCommands, workloadSnapshotDigest } from './__tests__/workload.js';
import { cas, deleteRange, put, range, txn } from './kv-commands.js';
import { createKvStateMachine } from './kv-state-machine.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import { applyEntryData } from './state-machine.js';
import { pack } from './msgpack.js';
import { toBytes } from './bytes.js';
import type { KvCommand } from './kv-types.js';

const SEEDS = [1, 2, 3, 42, 1234];

describe('snapshot and restore', () => {
  it('restoring a snapshot reproduces the state, revision and answers', () => {
    const a = harness();
    for (const cmd of randomCommands(7, 300)) a.apply(cmd);
    const b = createKvStateMachine();
    b.restore(a.sm.snapshot());
    expect(b.revision).toBe(a.sm.revision);
    expect(b.size).toBe(a.sm.size);
    expect(b.snapshot()).toEqual(a.sm.snapshot());
    const all = range('\0', { rangeEnd: '\0' });
    expect(b.query(all)).toEqual(a.sm.query(all));
    // And it keeps evolving identically.
    const next = put('a', 'after');
    expect(harness(b).apply(next)).toEqual(a.apply(next));
  });

  it('an empty store snapshots and restores', () => {
    const a = createKvStateMachine();
    const b = createKvStateMachine();
    b.restore(a.snapshot());
    expect(b.revision).toBe(1);
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('restores a snapshot whose keys are out of order', () => {
    const sm = createKvStateMachine();
    const row = (k: string) => [toBytes(k), toBytes('v'), 2, 2, 1, 0];
    sm.restore(pack([1, 4, ...row('c'), ...row('a'), ...row('b'), ...row('a')]));
    const r = sm.query(range('\0', { rangeEnd: '\0' }));
    expect(r.ok && r.kvs.map((kv) => new TextDecoder().decode(kv.key))).toEqual(['a', 'b', 'c']);
    expect(sm.size).toBe(3);
  });

  it('rejects bytes that are not a snapshot with a typed error and keeps the state', () => {
    const h = harness();
    h.apply(put('keep', 'me'));
    const before = h.sm.snapshot();
    for (const junk of [new Uint8Array([0xc1]), pack([2, 5]), pack([1, 0]), pack([1, 3, 'k']), pack({ x: 1 })]) {
      let caught: unknown;
      try {
        h.sm.restore(junk);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(KvError);
      expect((caught as KvError).code).toBe(KvErrorCode.InvalidSnapshot);
    }
    expect(h.sm.snapshot()).toEqual(before);
  });
});

describe('determinism', () => {
  it.each(SEEDS)('replicas fed the same entries produce byte-identical snapshots (--seed %i)', (seed) => {
    const entries = randomCommands(seed, 400).map((c) => createKvStateMachine().encodeCommand(c));
    const replicas = [createKvStateMachine(), createKvStateMachine(), createKvStateMachine()];
    const results = replicas.map((sm) => entries.map((data, i) => applyEntryData(sm, data, { index: i + 1, term: 1 })));
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    const snaps = replicas.map((sm) => sm.snapshot());
    expect(snaps[1]).toEqual(snaps[0]);
    expect(snaps[2]).toEqual(snaps[0]);
    // A replica that caught up from a mid-log snapshot converges too.
    const late = createKvStateMachine();
    const early = createKvStateMachine();
    entries.slice(0, 200).forEach((d, i) => applyEntryData(early, d, { index: i + 1, term: 1 }));
    late.restore(early.snapshot());
    entries.slice(200).forEach((d, i) => applyEntryData(late, d, { index: i + 201, term: 1 }));
    expect(late.snapshot()).toEqual(snaps[0]);
  });
});

describe('snapshot format', () => {
  // Golden digest: the same log must give these exact bytes on every platform and version. The
  // browser test (e2e/tests/kv.spec.ts) checks Chromium against the same value. Changing the
  // snapshot format means changing this digest on purpose.
  it('a fixed workload gives a fixed snapshot digest', async () => {
    expect(await workloadSnapshotDigest(GOLDEN_WORKLOAD.seed, GOLDEN_WORKLOAD.n)).toBe(GOLDEN_WORKLOAD.digest);
  });
});

describe('malformed commands', () => {
  const garbage: Array<[string, Uint8Array]> = [
    ['empty bytes', new Uint8Array(0)],
    ['a truncated map', new Uint8Array([0x82, 0xa4])],
    ['a reserved byte', new Uint8Array([0xc1])],
    ['a number', pack(42)],
    ['null', pack(null)],
    ['an unknown op', pack({ type: 'explode', key: toBytes('a') })],
    ['a string key', pack({ type: 'put', key: 'a', value: toBytes('v') })],
    ['a missing value', pack({ type: 'put', key: toBytes('a') })],
    ['a negative limit', pack({ type: 'txn', success: [{ type: 'range', key: toBytes('a'), limit: -1 }] })],
    ['a fractional version', pack({ type: 'txn', compare: [{ key: toBytes('a'), target: 'version', result: 'equal', version: 1.5 }] })],
    ['an unknown compare', pack({ type: 'txn', compare: [{ key: toBytes('a'), target: 'value', result: 'like', value: toBytes('') }] })],
    ['success not an array', pack({ type: 'txn', success: { type: 'put' } })],
    ['deep nesting', pack(Array.from({ length: 20 }).reduce<unknown>((inner) => ({ type: 'txn', success: [inner] }), { type: 'put', key: toBytes('a'), value: toBytes('') }))],
  ];

  it.each(garbage)('%s → KV_INVALID_COMMAND on every replica, state untouched', (_name, data) => {
    const replicas = [harness(), harness()];
    for (const r of replicas) r.apply(put('a', '1'));
    const before = replicas[0]!.sm.snapshot();
    const results = replicas.map((r) => applyEntryData(r.sm, data, { index: 2, term: 1 }));
    expect(results[0]).toMatchObject({ ok: false, type: 'error', code: KvErrorCode.InvalidCommand, revision: 2 });
    expect(results[1]).toEqual(results[0]);
    expect(replicas[0]!.sm.snapshot()).toEqual(before);
    expect(replicas[1]!.sm.snapshot()).toEqual(before);
  });

  it('apply checks JavaScript callers too', () => {
    const sm = createKvStateMachine();
    const bogus = { type: 'put', key: 'not bytes', value: 1 } as unknown as KvCommand;
    expect(sm.apply(bogus, { index: 1, term: 1 })).toMatchObject({ ok: false, code: KvErrorCode.InvalidCommand });
    expect(sm.query({ type: 'range' } as never)).toMatchObject({ ok: false, code: KvErrorCode.InvalidCommand });
  });

  it('extra fields are dropped, so they cannot change results', () => {
    const sm = createKvStateMachine();
    const decoded = sm.decodeCommand(pack({ type: 'put', key: toBytes('a'), value: toBytes('b'), evil: { x: 1 } }));
    expect(decoded).toEqual({ type: 'put', key: toBytes('a'), value: toBytes('b') });
  });
});
