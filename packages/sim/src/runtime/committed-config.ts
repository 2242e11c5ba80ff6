/**
 * @module runtime/committed-config
 * The configurations the cluster has committed, in log order, for the election-quorum check.
 * Conf changes are applied with the shipped core (a throwaway RawNode's applyConfChange), so the
 * check uses the same configuration rules as the nodes and has no copy of them.
 */
import { decodeConfChange, MemoryStorage, RawNode, type ConfState } from '@meshraft/core';

export class CommittedConfigs {
  private core: RawNode | undefined;
  /** Newest last; each with the log index it took effect at. */
  private readonly history: { index: number; conf: ConfState }[] = [];

  /** A snapshot at `index` says the configuration was `conf` (a restore or the founding state). */
  fromSnapshot(index: number, conf: ConfState): void {
    const last = this.history[this.history.length - 1];
    if (last !== undefined && last.index >= index) return;
    const storage = new MemoryStorage({ confState: conf });
    this.core = new RawNode({ id: 'config-tracker', storage, random: () => 0.5 });
    this.push(index, conf);
  }

  /** A conf change entry committed at `index` (first application by any node). */
  applyEntry(index: number, data: Uint8Array): void {
    if (this.core === undefined) return;
    const last = this.history[this.history.length - 1];
    if (last !== undefined && last.index >= index) return;
    try {
      this.push(index, this.core.applyConfChange(decodeConfChange(data)));
    } catch {
      // The nodes skip an undecodable or invalid change alike.
    }
  }

  private push(index: number, conf: ConfState): void {
    this.history.push({ index, conf });
    if (this.history.length > 4) this.history.shift();
  }

  /** The latest committed configuration and the one before it (newest first). */
  candidates(): ConfState[] {
    return this.history.slice(-2).reverse().map((h) => h.conf);
  }
}
