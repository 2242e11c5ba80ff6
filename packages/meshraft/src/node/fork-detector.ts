/**
 * @module fork-detector
 * Two founders under one name (two `--bootstrap` peers started at once, two tabs pressing "New
 * board", a member returning to a room whose signaling server forgot it) make two histories.
 * Exactly one continues, by a rule every node of both applies alike (docs/runtime.md "Founding
 * and forks"):
 *
 * - the room keeps a record (the signaling server's first announced id): that id survives, and
 *   every other history is forked the moment one of its nodes learns the record;
 * - the room keeps no record (no signaling server, or one without records): when two histories
 *   meet (a foreign frame), the lexicographically smaller id survives.
 *
 * While a record is expected but not known yet (a client not joined, nothing announced yet) no
 * decision is taken: deciding by the fallback then could disagree with the record.
 * The loser's node stops (the façade halts it: no proposal is acknowledged after that) and hands
 * its committed application entries to the app, which may re-propose them in the survivor.
 */
import type { Entry } from '@meshraft/core';
import { EntryType } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { RoomRecord, RoomRecordValue } from '@meshraft/transport';
import { decodeCommandEntry } from './entry-codec.js';
import type { Logger } from './options.js';

/** Set (to the survivor's id) once a node found its history forked: it stays stopped on restart. */
export const META_FORKED_BY = 'meshraft.forkedBy';

/** One committed application command of a forked history. */
export interface ForkEntry<C = unknown> {
  readonly index: number;
  readonly term: number;
  readonly command: C;
}

/** The 'fork' event: this node's history lost to `survivorId`. */
export interface ForkEvent<C = unknown> {
  /** This node's (the losing) cluster id. */
  readonly clusterId: string;
  /** The id of the history that continues under this name. */
  readonly survivorId: string;
  /**
   * The committed application commands still in this node's log, oldest first, one per request
   * (retries of one request appear once). Entries up to `snapshotIndex` were compacted into the
   * snapshot: their effect is only in the state (read it with `read(q, { consistency: 'local' })`).
   */
  readonly entries: readonly ForkEntry<C>[];
  readonly snapshotIndex: number;
}

/** status().fork: set once this node's history lost; the node is stopped from then on. */
export interface ForkStatus {
  readonly state: 'FORKED';
  readonly clusterId: string;
  readonly survivorId: string;
}

/**
 * The id that continues when `own` meets `other` (undefined: only the record is at stake), or
 * undefined while the decision must wait for the record.
 */
export function survivorOf(own: string, other: string | undefined, recorded: RoomRecordValue): string | undefined {
  if (typeof recorded === 'string') return recorded;
  if (recorded === undefined || other === undefined) return undefined;
  return own < other ? own : other;
}

/** The committed commands of the log after the snapshot, decoded with the state machine's codec. */
export function forkEntries<C>(storage: DurableStorage, applied: number, decode: (bytes: Uint8Array) => C): { entries: ForkEntry<C>[]; snapshotIndex: number } {
  const snapshotIndex = storage.snapshot().metadata.index;
  const lo = Math.max(storage.firstIndex(), snapshotIndex + 1);
  const hi = Math.min(applied, storage.lastIndex());
  const seen = new Set<string>();
  const entries: ForkEntry<C>[] = [];
  const log: Entry[] = hi >= lo ? storage.entries(lo, hi + 1) : [];
  for (const e of log) {
    if (e.type !== EntryType.Normal || e.data.byteLength === 0) continue;
    const ce = decodeCommandEntry(e.data);
    if (!ce) continue;
    const key = `${ce.client}#${ce.seq}`;
    if (seen.has(key)) continue; // a retried request, applied once
    seen.add(key);
    try {
      entries.push({ index: e.index, term: e.term, command: decode(ce.command) });
    } catch {
      // An undecodable command was skipped by every replica too; nothing to hand over.
    }
  }
  return { entries, snapshotIndex };
}

export class ForkDetector {
  private off: (() => void) | undefined;
  private announced: string | undefined;
  private decided = false;

  constructor(
    private readonly room: RoomRecord | undefined,
    private readonly log: Logger,
    /** This node's cluster id (null while a fresh joiner waits). */
    private readonly own: () => string | null,
    /** A fresh joiner with no target may ask to join the recorded cluster. */
    private readonly suggestTarget: (id: string) => void,
    /** This node's history lost to `survivorId`. */
    private readonly onLost: (survivorId: string) => void,
  ) {}

  /** The room's record as this node knows it (status, the peer's pre-start check). */
  recorded(): RoomRecordValue {
    return this.room ? this.room.recorded() : null;
  }

  /** Starts following the room's record, announcing this node's id when it has one. */
  start(): void {
    if (!this.room) return;
    this.off = this.room.onRecord((recorded, conflict) => {
      if (conflict !== undefined) this.log.warn('the room holds another cluster id than one announced in it', { recorded, conflict });
      this.check(undefined);
    });
    this.announce();
    this.check(undefined);
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  /** This node got its id (founded, restored, adopted): the room should know it. */
  announce(): void {
    const id = this.own();
    if (!this.room || id === null || id === this.announced) return;
    this.announced = id;
    this.room.announce(id);
  }

  /** A frame of `other` history reached this node (cluster-identity refused it). */
  onForeign(other: string): void {
    this.check(other);
  }

  private check(other: string | undefined): void {
    if (this.decided) return;
    const recorded = this.recorded();
    const own = this.own();
    if (own === null) {
      if (typeof recorded === 'string') this.suggestTarget(recorded);
      return;
    }
    const survivor = survivorOf(own, other, recorded);
    if (survivor === undefined || survivor === own) return;
    this.decided = true;
    // A server that forgets must never learn this id again from us.
    this.room?.withdraw();
    this.log.error('this cluster lost a fork under its name: stopping', { clusterId: own, survivorId: survivor, recorded: recorded ?? null });
    this.stop();
    this.onLost(survivor);
  }
}
