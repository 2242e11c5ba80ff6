/**
 * @module __tests__/crash-workload
 * A deterministic stream of storage operations drawn from a seed: appends, conflicting-suffix
 * overwrites with a new term, hard states, compactions, meta. The crash child runs it against the
 * file backend; the crash test replays the same stream on the memory adapter to know exactly
 * what must be on disk after N acknowledged operations. No framework imports: the child uses it.
 */
import { EMPTY_CONF_STATE, EntryType, seededRandom, type Entry, type Snapshot } from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from '../durable-storage.js';

export type WorkloadOp =
  | { readonly kind: 'save'; readonly update: StorageUpdate }
  | { readonly kind: 'compact'; readonly snapshot: Snapshot }
  | { readonly kind: 'meta'; readonly key: string; readonly value: string };

/** Entry payload: index and term up front (so a misplaced entry is caught), then filler. */
function entryData(index: number, term: number, filler: number): Uint8Array {
  const data = new Uint8Array(8 + filler);
  const view = new DataView(data.buffer);
  view.setUint32(0, index);
  view.setUint32(4, term);
  for (let i = 8; i < data.length; i++) data[i] = (index * 31 + i) & 0xff;
  return data;
}

/** The endless operation stream of `seed`. Each op is valid after all the ones before it. */
export function* workload(seed: number): Generator<WorkloadOp> {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const terms: number[] = []; // terms[i] is the term of index snapIndex + 1 + i
  let snapIndex = 0;
  let term = 1;
  let commit = 0;
  const lastIndex = (): number => snapIndex + terms.length;
  const makeEntries = (from: number, n: number): Entry[] => {
    const out: Entry[] = [];
    for (let index = from; index < from + n; index++) {
      out.push({ index, term, type: EntryType.Normal, data: entryData(index, term, int(0, 120)) });
    }
    terms.length = from - snapIndex - 1;
    for (let i = 0; i < n; i++) terms.push(term);
    return out;
  };
  for (let op = 0; ; op++) {
    const r = rand();
    if (r < 0.65) {
      const entries = makeEntries(lastIndex() + 1, int(1, 40));
      commit = Math.max(commit, int(commit, lastIndex() - 1));
      yield { kind: 'save', update: { entries, hardState: { term, vote: 'n1', commit } } };
    } else if (r < 0.8 && terms.length > 0) {
      // A new leader overwrites an uncommitted suffix.
      term++;
      const from = int(Math.max(snapIndex + 1, commit + 1, lastIndex() - 5), lastIndex() + 1);
      yield { kind: 'save', update: { entries: makeEntries(from, int(1, 8)), hardState: { term, vote: null, commit } } };
    } else if (r < 0.9 && commit > snapIndex) {
      const index = int(snapIndex + 1, commit);
      const snapTerm = terms[index - snapIndex - 1]!;
      terms.splice(0, index - snapIndex);
      snapIndex = index;
      const confState = { ...EMPTY_CONF_STATE, voters: ['n1', `n${op % 5}`] };
      yield { kind: 'compact', snapshot: { metadata: { index, term: snapTerm, confState }, data: entryData(index, op, 32) } };
    } else {
      yield { kind: 'meta', key: `k${op % 3}`, value: `v${op}` };
    }
  }
}

export function runOp(s: DurableStorage, op: WorkloadOp): Promise<void> {
  switch (op.kind) {
    case 'save':
      return s.save(op.update);
    case 'compact':
      return s.compact(op.snapshot);
    case 'meta':
      return s.setMeta(op.key, op.value);
  }
}

/** Everything observable, as a string, for exact comparison. */
export function dumpStorage(s: DurableStorage): string {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const entries = s.entries(first, last + 1).map((e) => `${e.index}:${e.term}:${e.type}:${Array.from(e.data).join(',')}`);
  const snap = s.snapshot();
  return JSON.stringify({
    first,
    last,
    state: s.initialState(),
    snapshot: { ...snap.metadata, data: Array.from(snap.data).join(',') },
    meta: ['k0', 'k1', 'k2'].map((k) => s.getMeta(k) ?? null),
    entries,
  });
}
