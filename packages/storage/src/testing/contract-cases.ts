/**
 * @module testing/contract-cases
 * The DurableStorage contract as plain async cases, free of any test framework, so the same
 * cases run under vitest (contract.ts) and in a browser page (the IndexedDB backend in Chromium).
 * A case throws a ContractFailure when the backend breaks the contract.
 */
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  EntryType,
  MeshraftError,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from '@meshraft/core';
import type { DurableStorage } from '../durable-storage.js';

export interface ContractFixture {
  /** A freshly created, empty storage. */
  readonly storage: DurableStorage;
  /**
   * Opens the same data again; the case closes `storage` first. Backends that keep nothing
   * across handles (the memory adapter) leave it out, and the cases that need it do not apply.
   */
  readonly reopen?: () => Promise<DurableStorage>;
}

export type OpenStorage = () => Promise<ContractFixture>;

export interface StorageContractCase {
  readonly name: string;
  /** True when the case needs ContractFixture.reopen. */
  readonly needsReopen: boolean;
  run(open: OpenStorage): Promise<void>;
}

export class ContractFailure extends Error {
  override readonly name = 'ContractFailure';
}

// ---------------------------------------------------------------------------------------------
// Tiny framework-free assertions.

type Plain = null | undefined | boolean | number | string | Plain[] | { [k: string]: Plain };

/** Turns entries, snapshots and states into plain data (bytes as number arrays) for comparison. */
function plain(value: unknown): Plain {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Plain } = {};
    for (const key of Object.keys(value).sort()) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value as Plain;
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(plain(actual));
  const e = JSON.stringify(plain(expected));
  if (a !== e) throw new ContractFailure(`${what}: expected ${e}, got ${a}`);
}

function describeError(err: unknown): string {
  if (err instanceof MeshraftError) return `${err.name} (${err.code}): ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function checkError(err: unknown, code: string | undefined, what: string): void {
  if (!(err instanceof MeshraftError)) {
    throw new ContractFailure(`${what}: expected a MeshraftError${code ? ` ${code}` : ''}, got ${describeError(err)}`);
  }
  if (code !== undefined && err.code !== code) {
    throw new ContractFailure(`${what}: expected code ${code}, got ${describeError(err)}`);
  }
}

/** `code` undefined accepts any MeshraftError (the contract fixes only that it is typed). */
async function assertRejects(promise: Promise<unknown>, code: string | undefined, what: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    checkError(err, code, what);
    return;
  }
  throw new ContractFailure(`${what}: expected a rejection${code ? ` with ${code}` : ''}, but it resolved`);
}

function assertThrows(fn: () => unknown, code: string, what: string): void {
  try {
    fn();
  } catch (err) {
    checkError(err, code, what);
    return;
  }
  throw new ContractFailure(`${what}: expected a throw with ${code}, but it returned`);
}

// ---------------------------------------------------------------------------------------------
// Data builders.

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Entries lo..hi (inclusive) of one term; data encodes index and term so mix-ups show. */
function ents(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let index = lo; index <= hi; index++) {
    out.push({ index, term, type: EntryType.Normal, data: bytes(index & 0xff, term & 0xff, 7) });
  }
  return out;
}

function conf(...voters: string[]): ConfState {
  return { ...EMPTY_CONF_STATE, voters };
}

function snap(index: number, term: number, confState: ConfState, ...data: number[]): Snapshot {
  return { metadata: { index, term, confState }, data: bytes(...data) };
}

/** Everything a reader can observe, for before/after comparisons. */
function observe(s: DurableStorage, metaKeys: readonly string[] = []): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const meta: Record<string, string | null> = {};
  for (const key of metaKeys) meta[key] = s.getMeta(key) ?? null;
  return {
    initialState: s.initialState(),
    firstIndex: first,
    lastIndex: last,
    snapshotTerm: s.term(first - 1),
    entries: s.entries(first, last + 1),
    snapshot: s.snapshot(),
    meta,
  };
}

function assertLog(s: DurableStorage, first: number, expected: readonly Entry[], what: string): void {
  assertEqual(s.firstIndex(), first, `${what}: firstIndex`);
  const last = expected.length > 0 ? expected[expected.length - 1]!.index : first - 1;
  assertEqual(s.lastIndex(), last, `${what}: lastIndex`);
  assertEqual(s.entries(first, last + 1), expected, `${what}: entries`);
  for (const e of expected) assertEqual(s.term(e.index), e.term, `${what}: term(${e.index})`);
}

/** Opens a fixture, runs `body`, and always closes whatever storage is current at the end. */
async function withStorage(
  open: OpenStorage,
  body: (ctx: { storage: DurableStorage; reopen: () => Promise<DurableStorage> }) => Promise<void>,
): Promise<void> {
  const fixture = await open();
  let current = fixture.storage;
  const reopen = async (): Promise<DurableStorage> => {
    if (fixture.reopen === undefined) throw new ContractFailure('this case needs a fixture with reopen');
    await current.close();
    current = await fixture.reopen();
    return current;
  };
  try {
    await body({ storage: fixture.storage, reopen });
  } finally {
    await current.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The cases.

const hs = (term: number, vote: string | null, commit: number): HardState => ({ term, vote, commit });

function cases(): StorageContractCase[] {
  const list: StorageContractCase[] = [];
  const add = (name: string, run: (open: OpenStorage) => Promise<void>, needsReopen = false): void => {
    list.push({ name, needsReopen, run });
  };

  add('a new storage is empty', (open) =>
    withStorage(open, async ({ storage: s }) => {
      assertEqual(s.initialState(), { hardState: EMPTY_HARD_STATE, confState: EMPTY_CONF_STATE }, 'initialState');
      assertEqual(s.firstIndex(), 1, 'firstIndex');
      assertEqual(s.lastIndex(), 0, 'lastIndex');
      assertEqual(s.term(0), 0, 'term(0)');
      assertEqual(s.entries(1, 1), [], 'entries(1, 1)');
      assertEqual(s.snapshot().metadata.index, 0, 'snapshot index');
      assertEqual(s.getMeta('id'), undefined, 'getMeta of a missing key');
    }),
  );

  add('appends entries across saves and reads them back', (open) =>
    withStorage(open, async ({ storage: s }) => {
      const conf: Entry = { index: 4, term: 2, type: EntryType.ConfChange, data: bytes(1, 2, 3, 255) };
      const empty: Entry = { index: 5, term: 2, type: EntryType.Normal, data: new Uint8Array(0) };
      await s.save({ entries: ents(1, 3, 1) });
      await s.save({ entries: [conf, empty] });
      await s.save({ entries: [] });
      assertLog(s, 1, [...ents(1, 3, 1), conf, empty], 'after three saves');
      assertEqual(s.entries(2, 4), ents(2, 3, 1), 'entries(2, 4)');
      assertEqual(s.term(0), 0, 'term(0) before any snapshot');
    }),
  );

  add('an append whose first index exists truncates the conflicting suffix', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 6, 1) });
      await s.save({ entries: ents(4, 5, 2) });
      assertLog(s, 1, [...ents(1, 3, 1), ...ents(4, 5, 2)], 'after overwriting 4..5');
      // A shorter overwrite still drops everything after it.
      await s.save({ entries: ents(2, 2, 3) });
      assertLog(s, 1, [...ents(1, 1, 1), ...ents(2, 2, 3)], 'after overwriting 2');
      await s.save({ entries: ents(3, 4, 3) });
      assertLog(s, 1, [...ents(1, 1, 1), ...ents(2, 4, 3)], 'after appending again');
    }),
  );

  add('a gap in the log rejects with LOG_GAP and applies nothing of the update', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 3, 1), hardState: hs(1, 'a', 1) });
      const before = observe(s);
      await assertRejects(s.save({ entries: ents(5, 6, 1), hardState: hs(2, 'b', 3) }), 'LOG_GAP', 'append after a hole');
      await assertRejects(
        s.save({ entries: [...ents(4, 4, 1), ...ents(6, 6, 1)], hardState: hs(2, 'b', 3) }),
        'LOG_GAP',
        'a batch with a hole inside',
      );
      assertEqual(observe(s), before, 'state after the rejected saves');
      await s.save({ entries: ents(4, 4, 1) });
      assertLog(s, 1, ents(1, 4, 1), 'a valid append afterwards');
    }),
  );

  add('malformed input rejects with a typed error and applies nothing', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 2, 1) });
      const before = observe(s);
      const bad = { index: 3, term: 1, type: EntryType.Normal, data: 'not bytes' } as unknown as Entry;
      await assertRejects(s.save({ entries: [bad] }), undefined, 'entry data that is not bytes');
      const fractional = { index: 2.5, term: 1, type: EntryType.Normal, data: bytes() };
      await assertRejects(s.save({ entries: [fractional] }), undefined, 'a fractional index');
      assertEqual(observe(s), before, 'state after the rejected saves');
    }),
  );

  add('hard state is kept until replaced', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ hardState: hs(3, 'n2', 0) });
      assertEqual(s.initialState().hardState, hs(3, 'n2', 0), 'after saving it alone');
      await s.save({ entries: ents(1, 2, 3) });
      assertEqual(s.initialState().hardState, hs(3, 'n2', 0), 'after an update without one');
      await s.save({ entries: ents(3, 3, 4), hardState: hs(4, null, 2) });
      assertEqual(s.initialState().hardState, hs(4, null, 2), 'after replacing it');
    }),
  );

  add('the configuration is the held snapshot\'s: a saved snapshot sets it, compact() moves it on', (open) =>
    withStorage(open, async ({ storage: s }) => {
      const joint: ConfState = {
        voters: ['a', 'b', 'c'],
        learners: ['d'],
        votersOutgoing: ['a', 'b'],
        learnersNext: ['e'],
        autoLeave: true,
      };
      assertEqual(s.initialState().confState, EMPTY_CONF_STATE, 'before any snapshot');
      // The founding snapshot: one voter.
      await s.save({ snapshot: snap(1, 1, conf('a')), hardState: hs(1, null, 1) });
      assertEqual(s.initialState().confState, conf('a'), 'after a saved snapshot');
      await s.save({ entries: ents(2, 30, 1), hardState: hs(1, 'a', 29) });
      assertEqual(s.initialState().confState, conf('a'), 'entries do not change it');
      // Compaction past the conf changes that grew the cluster: they are gone from the log, so
      // the snapshot's configuration is the only record of them.
      await s.compact(snap(20, 1, conf('a', 'b', 'c'), 1));
      assertEqual(s.initialState().confState, conf('a', 'b', 'c'), 'after compact');
      await s.compact(snap(25, 1, joint, 2));
      assertEqual(s.initialState().confState, joint, 'a joint configuration, after compact');
      await s.save({ snapshot: snap(40, 2, conf('x', 'y')) });
      assertEqual(s.initialState().confState, conf('x', 'y'), 'after a newer saved snapshot');
    }),
  );

  add('a save carrying confState (the old contract) rejects with INVALID_UPDATE and applies nothing', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ snapshot: snap(1, 1, conf('a')), hardState: hs(1, null, 1) });
      const before = observe(s);
      const old = { entries: ents(2, 3, 1), confState: conf('a', 'b') } as unknown as Parameters<DurableStorage['save']>[0];
      await assertRejects(s.save(old), 'INVALID_UPDATE', 'confState in an update');
      assertEqual(observe(s), before, 'nothing applied');
    }),
  );

  add(
    'after compaction a reopen restarts from the compacted snapshot\'s configuration',
    (open) =>
      withStorage(open, async ({ storage, reopen }) => {
        let s = storage;
        await s.save({ snapshot: snap(1, 1, conf('a')), hardState: hs(1, null, 1) });
        await s.save({ entries: ents(2, 30, 1), hardState: hs(1, 'a', 29) });
        await s.compact(snap(20, 1, conf('a', 'b', 'c'), 1));
        s = await reopen();
        assertEqual(s.initialState().confState, conf('a', 'b', 'c'), 'after the first reopen');
        assertEqual(s.snapshot().metadata.index, 20, 'snapshot index after reopen');
        // And again after a WAL record on top of the compaction.
        await s.save({ entries: ents(30, 31, 2), hardState: hs(2, 'b', 30) });
        s = await reopen();
        assertEqual(s.initialState(), { hardState: hs(2, 'b', 30), confState: conf('a', 'b', 'c') }, 'after the second reopen');
      }),
    true,
  );

  add('a saved snapshot replaces the whole log; entries in the same update follow it', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 12, 1) });
      const snapshot = snap(10, 3, conf('a', 'b'), 9, 8, 7);
      await s.save({ snapshot, entries: ents(10, 12, 3), hardState: hs(3, 'a', 10) });
      assertLog(s, 11, ents(11, 12, 3), 'after the snapshot');
      assertEqual(s.term(10), 3, 'term at the snapshot index');
      assertEqual(s.snapshot(), snapshot, 'snapshot()');
      assertEqual(s.initialState(), { hardState: hs(3, 'a', 10), confState: conf('a', 'b') }, 'initialState');
      // A snapshot alone discards every entry, even those after its index.
      await s.save({ snapshot: snap(11, 3, conf('a')) });
      assertLog(s, 12, [], 'after a snapshot with no entries');
    }),
  );

  add('a snapshot no newer than the held one rejects with SNAPSHOT_OUT_OF_DATE', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ snapshot: snap(5, 2, conf('a')), entries: ents(6, 8, 2) });
      const before = observe(s);
      await assertRejects(s.save({ snapshot: snap(5, 2, conf('a')) }), 'SNAPSHOT_OUT_OF_DATE', 'same index');
      await assertRejects(
        s.save({ snapshot: snap(3, 1, conf('a')), hardState: hs(9, null, 0) }),
        'SNAPSHOT_OUT_OF_DATE',
        'older index',
      );
      await assertRejects(s.compact(snap(4, 2, conf('a'))), 'SNAPSHOT_OUT_OF_DATE', 'compact to an older index');
      assertEqual(observe(s), before, 'state after the rejections');
    }),
  );

  add('compaction drops entries up to the snapshot and keeps the ones after it', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: [...ents(1, 4, 1), ...ents(5, 10, 2)], hardState: hs(2, 'a', 8) });
      const snapshot = snap(6, 2, conf('a', 'b', 'c'), 1, 2, 3);
      await s.compact(snapshot);
      assertLog(s, 7, ents(7, 10, 2), 'after compacting to 6');
      assertEqual(s.term(6), 2, 'term at the snapshot index');
      assertEqual(s.snapshot(), snapshot, 'snapshot()');
      assertEqual(s.initialState().hardState, hs(2, 'a', 8), 'hard state is untouched');
      // Compacting everything leaves an empty log that can still be appended to.
      await s.compact(snap(10, 2, conf('a', 'b', 'c'), 4));
      assertLog(s, 11, [], 'after compacting everything');
      await s.save({ entries: ents(11, 12, 3) });
      assertLog(s, 11, ents(11, 12, 3), 'appending after full compaction');
    }),
  );

  add('compaction past the last index rejects with UNAVAILABLE and changes nothing', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 3, 1) });
      const before = observe(s);
      await assertRejects(s.compact(snap(4, 1, conf('a'))), 'UNAVAILABLE', 'compact to 4 of 3');
      assertEqual(observe(s), before, 'state after the rejection');
    }),
  );

  add('reads below firstIndex throw COMPACTED, past lastIndex UNAVAILABLE', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 10, 1) });
      await s.compact(snap(5, 1, conf('a')));
      assertThrows(() => s.entries(5, 7), 'COMPACTED', 'entries(5, 7)');
      assertThrows(() => s.entries(1, 3), 'COMPACTED', 'entries(1, 3)');
      assertThrows(() => s.term(4), 'COMPACTED', 'term(4)');
      assertThrows(() => s.entries(9, 12), 'UNAVAILABLE', 'entries(9, 12)');
      assertThrows(() => s.term(11), 'UNAVAILABLE', 'term(11)');
      assertEqual(s.entries(6, 11).length, 5, 'entries(6, 11) is the whole log');
      assertEqual(s.term(5), 1, 'term(5) is the snapshot term');
    }),
  );

  add('entries(lo, hi, maxBytes) returns at least one entry and stops at the byte budget', (open) =>
    withStorage(open, async ({ storage: s }) => {
      const sized = ents(1, 5, 1).map((e) => ({ ...e, data: new Uint8Array(10).fill(e.index) }));
      await s.save({ entries: sized });
      assertEqual(s.entries(1, 6, 0), sized.slice(0, 1), 'maxBytes 0 still gives one entry');
      assertEqual(s.entries(1, 6, 5), sized.slice(0, 1), 'one entry larger than maxBytes');
      assertEqual(s.entries(1, 6, 25), sized.slice(0, 2), 'maxBytes 25 holds two 10-byte entries');
      assertEqual(s.entries(2, 6, 30), sized.slice(1, 4), 'maxBytes 30 holds three exactly');
      assertEqual(s.entries(1, 6, 1_000), sized, 'a large budget gives the whole range');
      assertEqual(s.entries(1, 3), sized.slice(0, 2), 'no budget gives the range');
    }),
  );

  add('saves issued without waiting apply in call order', (open) =>
    withStorage(open, async ({ storage: s }) => {
      const pending = [
        s.save({ entries: ents(1, 5, 1), hardState: hs(1, 'a', 0) }),
        s.save({ entries: ents(4, 6, 2), hardState: hs(2, 'b', 3) }),
        s.setMeta('k', 'v1'),
        s.save({ entries: ents(7, 7, 2), hardState: hs(2, 'b', 5) }),
        s.setMeta('k', 'v2'),
      ];
      await Promise.all(pending);
      assertLog(s, 1, [...ents(1, 3, 1), ...ents(4, 7, 2)], 'log');
      assertEqual(s.initialState().hardState, hs(2, 'b', 5), 'hard state of the last save');
      assertEqual(s.getMeta('k'), 'v2', 'meta of the last setMeta');
    }),
  );

  add('meta values are set, replaced and kept apart by key', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.setMeta('id', 'node-1');
      await s.setMeta('cluster', 'c');
      await s.setMeta('id', 'node-2');
      await s.setMeta('empty', '');
      assertEqual(s.getMeta('id'), 'node-2', 'id');
      assertEqual(s.getMeta('cluster'), 'c', 'cluster');
      assertEqual(s.getMeta('empty'), '', 'an empty value is a value');
      assertEqual(s.getMeta('other'), undefined, 'a missing key');
    }),
  );

  add('close is idempotent and every later call fails with STORAGE_CLOSED', (open) =>
    withStorage(open, async ({ storage: s }) => {
      await s.save({ entries: ents(1, 2, 1) });
      await s.close();
      await s.close();
      await assertRejects(s.save({ entries: ents(3, 3, 1) }), 'STORAGE_CLOSED', 'save');
      await assertRejects(s.compact(snap(1, 1, conf('a'))), 'STORAGE_CLOSED', 'compact');
      await assertRejects(s.setMeta('k', 'v'), 'STORAGE_CLOSED', 'setMeta');
      assertThrows(() => s.entries(1, 2), 'STORAGE_CLOSED', 'entries');
      assertThrows(() => s.term(1), 'STORAGE_CLOSED', 'term');
      assertThrows(() => s.firstIndex(), 'STORAGE_CLOSED', 'firstIndex');
      assertThrows(() => s.lastIndex(), 'STORAGE_CLOSED', 'lastIndex');
      assertThrows(() => s.initialState(), 'STORAGE_CLOSED', 'initialState');
      assertThrows(() => s.snapshot(), 'STORAGE_CLOSED', 'snapshot');
      assertThrows(() => s.getMeta('k'), 'STORAGE_CLOSED', 'getMeta');
    }),
  );

  add(
    'reopen returns exactly what was saved',
    (open) =>
      withStorage(open, async ({ storage, reopen }) => {
        let s = storage;
        const keys = ['id', 'cluster', 'never'];
        await s.setMeta('id', 'node-7');
        await s.save({ entries: ents(1, 8, 1), hardState: hs(1, 'node-7', 2) });
        await s.save({ entries: ents(6, 9, 2), hardState: hs(2, 'b', 5) });
        await s.compact(snap(4, 1, conf('node-7', 'b'), 42));
        await s.setMeta('cluster', 'blue');
        await s.save({ entries: ents(10, 11, 2), hardState: hs(2, 'b', 9) });
        const before = observe(s, keys);
        s = await reopen();
        assertEqual(observe(s, keys), before, 'after the first reopen');
        // The reopened storage keeps working and its writes survive the next reopen too.
        await s.save({ entries: ents(11, 12, 3), hardState: hs(3, null, 10) });
        await s.compact(snap(10, 2, conf('node-7'), 43));
        const again = observe(s, keys);
        s = await reopen();
        assertEqual(observe(s, keys), again, 'after the second reopen');
      }),
    true,
  );

  add(
    'reopen after a saved snapshot returns the snapshot and what followed it',
    (open) =>
      withStorage(open, async ({ storage, reopen }) => {
        let s = storage;
        await s.save({ entries: ents(1, 20, 1) });
        await s.save({ snapshot: snap(15, 2, conf('a', 'b'), 5, 5), entries: ents(16, 17, 2), hardState: hs(2, 'a', 15) });
        const before = observe(s);
        s = await reopen();
        assertEqual(observe(s), before, 'after reopen');
        assertThrows(() => s.term(18), 'UNAVAILABLE', 'entries discarded by the snapshot stay gone');
      }),
    true,
  );

  add(
    'close waits for pending writes',
    (open) =>
      withStorage(open, async ({ storage, reopen }) => {
        const pending = [
          storage.save({ entries: ents(1, 50, 1), hardState: hs(1, 'a', 40) }),
          storage.setMeta('id', 'x'),
          storage.compact(snap(30, 1, conf('a'), 1)),
        ];
        await storage.close();
        await Promise.all(pending);
        const s = await reopen();
        assertLog(s, 31, ents(31, 50, 1), 'log after reopen');
        assertEqual(s.initialState().hardState, hs(1, 'a', 40), 'hard state after reopen');
        assertEqual(s.snapshot(), snap(30, 1, conf('a'), 1), 'snapshot after reopen');
        assertEqual(s.getMeta('id'), 'x', 'meta after reopen');
      }),
    true,
  );

  add(
    'an empty storage reopens empty',
    (open) =>
      withStorage(open, async ({ storage, reopen }) => {
        const before = observe(storage);
        const s = await reopen();
        assertEqual(observe(s), before, 'after reopen');
      }),
    true,
  );

  return list;
}

/** Every case of the DurableStorage contract. Run each with an `open` that creates a fresh, empty storage. */
export function storageContractCases(): StorageContractCase[] {
  return cases();
}
