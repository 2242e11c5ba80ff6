/**
 * @module watchers
 * Local watch subscriptions on one state machine instance. Apply hands over the changes of each
 * revision once the command has taken effect; each watcher receives the events in its key range.
 * Nothing here is replicated: watchers are a view of this replica's apply stream.
 */
import { inRange, toBinaryRange, type BinaryRange } from './key-index.js';
import type { WatchEvent, WatchListener, WatchOptions } from './kv-types.js';

/** A change made by one command, tagged with its binary key for range matching. */
export interface Change {
  readonly binaryKey: string;
  readonly event: WatchEvent;
}

interface Watcher {
  readonly range: BinaryRange;
  readonly prevKv: boolean;
  readonly listener: WatchListener;
}

export class Watchers {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  add(options: WatchOptions, listener: WatchListener): () => void {
    const watcher: Watcher = {
      range: toBinaryRange(options),
      prevKv: options.prevKv === true,
      listener,
    };
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  emit(revision: number, changes: readonly Change[], restored = false): void {
    if (changes.length === 0) return;
    // Copy first: a listener may unsubscribe itself or others while we iterate.
    for (const w of [...this.watchers]) {
      if (!this.watchers.has(w)) continue;
      const events: WatchEvent[] = [];
      for (const c of changes) {
        if (!inRange(c.binaryKey, w.range)) continue;
        if (w.prevKv || c.event.prevKv === undefined) events.push(c.event);
        else events.push({ type: c.event.type, kv: c.event.kv });
      }
      if (events.length === 0) continue;
      try {
        w.listener(restored ? { revision, events, restored } : { revision, events });
      } catch (err) {
        // A broken listener must not stop apply or other watchers; surface it asynchronously.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
