/**
 * @module testing/vitest
 * Registers the DurableStorage contract cases (contract-cases.ts) as vitest tests. Cases that
 * need a reopen are registered only for backends whose fixture can reopen.
 */
import { describe, it } from 'vitest';
import { storageContractCases, type OpenStorage } from './contract-cases.js';

export interface ContractOptions {
  /** The backend keeps data across handles, so `open` returns fixtures with `reopen`. */
  readonly persistent: boolean;
}

export function describeStorageContract(name: string, open: OpenStorage, options: ContractOptions): void {
  describe(`${name} satisfies the DurableStorage contract`, () => {
    for (const c of storageContractCases()) {
      if (c.needsReopen && !options.persistent) continue;
      it(c.name, () => c.run(open));
    }
  });
}
