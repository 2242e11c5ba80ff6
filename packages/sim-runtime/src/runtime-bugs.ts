/**
 * @module runtime/runtime-bugs
 * Deliberately broken runtimes for `--host runtime --bug NAME`. Each is a wrapper around a part
 * the runtime is given (storage, state machine, clock), never a branch inside shipped code; the
 * simulator's checks must catch every one.
 * - `ack-before-durable`: save() resolves before the write is durable (the host then acknowledges
 *   entries and votes a crash can still lose).
 * - `apply-twice`: every committed command reaches the state machine twice.
 * - `drop-deferred-hard-state`: a save carrying only a hard state (the runtime's deferred
 *   commit-only states, and vote/term changes with no entries) never reaches the disk.
 * - `lease-past-expiry`: the node's clock runs at a tenth of its speed, so its leader lease outlives
 *   the election timeout that protects it and lease reads are served past the lease.
 * - `lease-follower-expiry`: every member's lease keeper acts as leader (a follower expiring leases
 *   on its own clock) and its revokes drop the refresh count; wired in runtime-leases.ts.
 */
import type { Snapshot } from '@meshraft/core';
import type { DurableStorage, StorageUpdate } from '@meshraft/storage';
import type { StateMachine, Timers } from 'meshraft';

import type { RuntimeBug } from '@meshraft/sim';

export { RUNTIME_BUGS, type RuntimeBug } from '@meshraft/sim';

/** Delegates every read to `inner`; subclasses override the writes they break. */
class StorageWrapper implements DurableStorage {
  constructor(protected readonly inner: DurableStorage) {}
  initialState() {
    return this.inner.initialState();
  }
  entries(lo: number, hi: number, maxBytes?: number) {
    return this.inner.entries(lo, hi, maxBytes);
  }
  term(index: number) {
    return this.inner.term(index);
  }
  firstIndex() {
    return this.inner.firstIndex();
  }
  lastIndex() {
    return this.inner.lastIndex();
  }
  snapshot() {
    return this.inner.snapshot();
  }
  getMeta(key: string) {
    return this.inner.getMeta(key);
  }
  save(update: StorageUpdate): Promise<void> {
    return this.inner.save(update);
  }
  compact(snapshot: Snapshot): Promise<void> {
    return this.inner.compact(snapshot);
  }
  setMeta(key: string, value: string): Promise<void> {
    return this.inner.setMeta(key, value);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class AckBeforeDurable extends StorageWrapper {
  override save(update: StorageUpdate): Promise<void> {
    const durable = this.inner.save(update);
    durable.catch(() => {});
    return Promise.resolve();
  }
}

class DropHardStateOnly extends StorageWrapper {
  override save(update: StorageUpdate): Promise<void> {
    const only = update.hardState !== undefined && update.snapshot === undefined && (update.entries?.length ?? 0) === 0;
    if (!only) return this.inner.save(update);
    const { hardState: _dropped, ...rest } = update;
    return this.inner.save(rest);
  }
}

export function wrapStorage(bug: RuntimeBug | undefined, storage: DurableStorage): DurableStorage {
  if (bug === 'ack-before-durable') return new AckBeforeDurable(storage);
  if (bug === 'drop-deferred-hard-state') return new DropHardStateOnly(storage);
  return storage;
}

export function wrapStateMachine<C, R, Q, QR>(bug: RuntimeBug | undefined, sm: StateMachine<C, R, Q, QR>): StateMachine<C, R, Q, QR> {
  if (bug !== 'apply-twice') return sm;
  return {
    apply: (command, ctx) => {
      sm.apply(command, ctx);
      return sm.apply(command, ctx);
    },
    query: (q) => sm.query(q),
    snapshot: () => sm.snapshot(),
    restore: (data) => sm.restore(data),
    encodeCommand: (c) => sm.encodeCommand(c),
    decodeCommand: (d) => sm.decodeCommand(d),
  };
}

export function wrapTimers(bug: RuntimeBug | undefined, timers: Timers): Timers {
  if (bug !== 'lease-past-expiry') return timers;
  const start = timers.now();
  return { ...timers, now: () => start + (timers.now() - start) / 10 };
}
