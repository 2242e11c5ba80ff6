/**
 * @module watch-source
 * One watch over a member's apply stream, for the gRPC Watch service and the JSON gateway:
 * subscribe and read the history in the same tick (apply is synchronous, so no revision falls
 * between them), hand out the replayed revisions, and hold live revisions until the caller has
 * sent what must come first (etcd's "created" response).
 */
import type { KeyRange, WatchBatch } from 'meshraft/kv';
import type { KvClient } from './kv-client.js';

export interface WatchSpec extends KeyRange {
  /** 0: from the next revision on. */
  readonly startRevision: number;
  readonly prevKv: boolean;
}

export type OpenedWatch =
  | {
      readonly ok: true;
      /** The member's revision when the watch was opened. */
      readonly revision: number;
      /** Starts delivery: replayed revisions first, then held and live ones. */
      start(listener: (batch: WatchBatch) => void): void;
      cancel(): void;
    }
  | { readonly ok: false; readonly compactRevision: number };

export function openWatch(kv: KvClient, spec: WatchSpec): OpenedWatch | null {
  if (kv.watch === undefined || kv.replay === undefined) return null;
  const options = { key: spec.key, ...(spec.rangeEnd ? { rangeEnd: spec.rangeEnd } : {}), prevKv: spec.prevKv };
  let held: WatchBatch[] | null = [];
  let deliver: (batch: WatchBatch) => void = () => {};
  const minRevision = spec.startRevision;
  const unsubscribe = kv.watch(options, (batch) => {
    if (batch.revision < minRevision) return;
    if (held) held.push(batch);
    else deliver(batch);
  });
  // Past the end of history a replay is empty but still tells the current revision.
  const replay = kv.replay(options, spec.startRevision === 0 ? Number.MAX_SAFE_INTEGER : spec.startRevision);
  if (!replay.ok) {
    unsubscribe();
    return { ok: false, compactRevision: replay.compactRevision };
  }
  return {
    ok: true,
    revision: replay.revision,
    start(listener) {
      deliver = listener;
      for (const b of replay.batches) listener(b);
      const early = held ?? [];
      held = null;
      for (const b of early) listener(b);
    },
    cancel: unsubscribe,
  };
}
