/**
 * The contract suite catches broken backends: each wrapper below breaks one promise of the
 * contract, and the case about that promise must fail (a suite that cannot fail proves nothing).
 */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '@meshraft/core';
import { createMemoryStorage, type DurableStorage, type StorageUpdate } from '@meshraft/storage';
import { ContractFailure, storageContractCases, type OpenStorage } from './testing/contract-cases.js';

/** Delegates everything to a memory storage; subclasses break one thing. */
class Wrapped implements DurableStorage {
  constructor(readonly inner: DurableStorage = createMemoryStorage()) {}
  initialState() { return this.inner.initialState(); }
  entries(lo: number, hi: number, maxBytes?: number) { return this.inner.entries(lo, hi, maxBytes); }
  term(i: number) { return this.inner.term(i); }
  firstIndex() { return this.inner.firstIndex(); }
  lastIndex() { return this.inner.lastIndex(); }
  snapshot() { return this.inner.snapshot(); }
  save(u: StorageUpdate) { return this.inner.save(u); }
  compact(s: Snapshot) { return this.inner.compact(s); }
  getMeta(k: string) { return this.inner.getMeta(k); }
  setMeta(k: string, v: string) { return this.inner.setMeta(k, v); }
  close() { return this.inner.close(); }
}

const broken: Array<{ breaks: string; caseName: string; open: OpenStorage }> = [
  {
    breaks: 'drops the hard state when an update has only entries',
    caseName: 'hard state is kept until replaced',
    open: async () => ({
      storage: new (class extends Wrapped {
        override save(u: StorageUpdate) {
          return this.inner.save(u.hardState ? u : { ...u, hardState: { term: 0, vote: null, commit: 0 } });
        }
      })(),
    }),
  },
  {
    breaks: 'applies the hard state of an update it rejects',
    caseName: 'a gap in the log rejects with LOG_GAP and applies nothing of the update',
    open: async () => ({
      storage: new (class extends Wrapped {
        override async save(u: StorageUpdate) {
          if (u.hardState) await this.inner.save({ hardState: u.hardState });
          return this.inner.save({ ...u, hardState: undefined });
        }
      })(),
    }),
  },
  {
    breaks: 'keeps answering reads after close',
    caseName: 'close is idempotent and every later call fails with STORAGE_CLOSED',
    open: async () => {
      const inner = createMemoryStorage();
      const shadow = createMemoryStorage();
      return {
        storage: new (class extends Wrapped {
          override save(u: StorageUpdate) {
            return Promise.all([inner.save(u), shadow.save(u)]).then(() => undefined);
          }
          override entries(lo: number, hi: number) {
            return shadow.entries(lo, hi);
          }
        })(inner),
      };
    },
  },
  {
    breaks: 'forgets everything on reopen',
    caseName: 'reopen returns exactly what was saved',
    open: async () => ({ storage: new Wrapped(), reopen: async () => new Wrapped() }),
  },
  {
    breaks: 'ignores maxBytes',
    caseName: 'entries(lo, hi, maxBytes) returns at least one entry and stops at the byte budget',
    open: async () => ({
      storage: new (class extends Wrapped {
        override entries(lo: number, hi: number) {
          return this.inner.entries(lo, hi);
        }
      })(),
    }),
  },
];

describe('the storage contract suite', () => {
  const cases = storageContractCases();
  for (const b of broken) {
    it(`fails a backend that ${b.breaks}`, async () => {
      const c = cases.find((x) => x.name === b.caseName);
      expect(c, b.caseName).toBeDefined();
      await expect(c!.run(b.open)).rejects.toBeInstanceOf(ContractFailure);
    });
  }
  it('has uniquely named cases', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });
});
