/**
 * @module runtime/committed-config
 * The configurations the cluster has committed, in log order, reported to the checker's
 * election-quorum invariant (SafetyChecker.observeCommittedConf).
 * Conf changes are applied with the shipped core (a throwaway RawNode's applyConfChange), so the
 * check uses the same configuration rules as the nodes and has no copy of them.
 */
import { decodeConfChange, MemoryStorage, RawNode, type ConfState } from '@meshraft/core';

export class CommittedConfigs {
  private core: RawNode | undefined;
  private lastIndex = -1;

  constructor(private readonly report: (index: number, conf: ConfState) => void) {}

  get started(): boolean {
    return this.core !== undefined;
  }

  /** A snapshot at `index` says the configuration was `conf` (a restore or the founding state). */
  fromSnapshot(index: number, conf: ConfState): void {
    if (this.lastIndex >= index) return;
    const storage = new MemoryStorage({ confState: conf });
    this.core = new RawNode({ id: 'config-tracker', storage, random: () => 0.5 });
    this.push(index, conf);
  }

  /** A conf change entry committed at `index` (first application by any node). */
  applyEntry(index: number, data: Uint8Array): void {
    if (this.core === undefined || this.lastIndex >= index) return;
    try {
      this.push(index, this.core.applyConfChange(decodeConfChange(data)));
    } catch {
      // The nodes skip an undecodable or invalid change alike.
    }
  }

  private push(index: number, conf: ConfState): void {
    this.lastIndex = index;
    this.report(index, conf);
  }
}
