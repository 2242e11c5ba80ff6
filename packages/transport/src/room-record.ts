/**
 * @module room-record
 * What a room remembers of the cluster meeting in it while nobody is online: the first cluster
 * id announced in it, kept by the signaling server (docs/runtime.md "Founding and forks"). The
 * node announces its id and reads the record: a joiner targets it, a founder whose id is not the
 * record knows its history lost (fork-detector in the runtime).
 */

/**
 * - a string: the id the room recorded first;
 * - undefined: not known yet (not joined, or nothing recorded yet: the first announce will be);
 * - null: this room keeps no record (no signaling server, or one that predates records).
 */
export type RoomRecordValue = string | null | undefined;

export interface RoomRecord {
  recorded(): RoomRecordValue;
  /** Asks the room to record `clusterId`; kept only if it has no record. Repeated after reconnects. */
  announce(clusterId: string): void;
  /**
   * Called when the record is learned or changes (a server that forgot learns it anew), and when
   * someone announced another id than the record (`conflict`: that id; the record stays).
   */
  onRecord(listener: (recorded: RoomRecordValue, conflict?: string) => void): () => void;
  /** Stops re-announcing (a history that lost a fork must never be recorded again). */
  withdraw(): void;
}

/** A RoomRecord's local state, fed by whatever keeps the record (signaling client, a test room). */
export class RoomRecordState implements RoomRecord {
  private value: RoomRecordValue;
  private announced: string | undefined;
  private readonly listeners = new Set<(recorded: RoomRecordValue, conflict?: string) => void>();

  constructor(
    /** Sends an announce to the keeper of the record (a no-op while disconnected: see replay). */
    private readonly send: (clusterId: string) => void,
    initial: RoomRecordValue = undefined,
  ) {
    this.value = initial;
  }

  recorded(): RoomRecordValue {
    return this.value;
  }

  announce(clusterId: string): void {
    this.announced = clusterId;
    this.send(clusterId);
  }

  withdraw(): void {
    this.announced = undefined;
  }

  /** The id announced last (re-sent after a reconnect, so a server that forgot learns it again). */
  lastAnnounced(): string | undefined {
    return this.announced;
  }

  onRecord(listener: (recorded: RoomRecordValue, conflict?: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The keeper said what it holds (and, with `conflict`, which other id it refused). */
  set(value: RoomRecordValue, conflict?: string): void {
    const changed = value !== this.value;
    this.value = value;
    if (!changed && conflict === undefined) return;
    for (const l of [...this.listeners]) l(value, conflict);
  }
}

/**
 * One room's record kept in memory, shared by every transport of a memory network or simulator:
 * the same first-announce-wins rule as the signaling server. `forget()` models a server that
 * restarted without `--data`: the record is gone until an id is announced again.
 */
export class SharedRoomRecord {
  private value: string | undefined;
  private readonly views = new Set<RoomRecordState>();

  /** A view for one transport; it sees the record at once (a joined client does). */
  view(): RoomRecordState & { detach(): void } {
    const state = new RoomRecordState((id) => this.announce(id), this.value) as RoomRecordState & { detach(): void };
    this.views.add(state);
    state.detach = () => void this.views.delete(state);
    return state;
  }

  get(): string | undefined {
    return this.value;
  }

  forget(): void {
    this.value = undefined;
    for (const v of this.views) v.set(undefined);
  }

  /** Every view re-announces its id, as clients do after reconnecting to a restarted server. */
  reannounce(order: (views: RoomRecordState[]) => RoomRecordState[] = (v) => v): void {
    for (const v of order([...this.views])) {
      const id = v.lastAnnounced();
      if (id !== undefined) this.announce(id);
    }
  }

  private announce(id: string): void {
    if (this.value === undefined) {
      this.value = id;
      for (const v of [...this.views]) v.set(id);
    } else if (this.value !== id) {
      for (const v of [...this.views]) v.set(this.value, id);
    }
  }
}
