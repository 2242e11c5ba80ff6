/**
 * @module applier
 * Applies committed entries: the session table (exactly-once) in front of the state machine,
 * conf changes through the core, snapshots in and out. It only reports what each entry did; the
 * parts that hold waiting callers settle them.
 */
import { EntryType, type ConfState, type Entry, type Snapshot } from '@meshraft/core';
import type { StateMachine } from '../kv/state-machine.js';
import { decodeCommandEntry, decodeSnapshotPayload, encodeSnapshotPayload } from './entry-codec.js';
import { ApplyFailedError, StaleRequestError } from './errors.js';
import type { Logger } from './options.js';
import type { ConfChange, CoreAdapter } from './raft-core.js';
import { SessionTable, type SessionKey } from './sessions.js';

/** What one committed entry did. */
export type ApplyOutcome<R> =
  | { readonly kind: 'none' }
  | { readonly kind: 'conf' }
  /** A command entry was answered: applied now, a duplicate's cached result, or stale. */
  | { readonly kind: 'command'; readonly key: SessionKey; readonly result?: R; readonly error?: Error };

const NONE = { kind: 'none' } as const;

export class Applier<C, R, Q, QR> {
  applied = 0;
  appliedTerm = 0;
  confState: ConfState;
  private sessions = new SessionTable();

  constructor(
    private readonly sm: StateMachine<C, R, Q, QR>,
    private readonly adapter: CoreAdapter,
    private readonly log: Logger,
    initial: ConfState,
  ) {
    this.confState = initial;
  }

  /** Applies one committed entry; conf changes go through `applyConfChange` (the core's). */
  apply(e: Entry, applyConfChange: (cc: ConfChange) => ConfState): ApplyOutcome<R> {
    this.applied = e.index;
    this.appliedTerm = e.term;
    if (e.type === EntryType.ConfChange) {
      let cc: ConfChange;
      try {
        cc = this.adapter.decodeConfChange(e.data);
      } catch (err) {
        // Only a corrupted entry can fail to decode; every replica skips it alike.
        this.log.error('skipped an undecodable conf change entry', { index: e.index, err });
        return NONE;
      }
      this.confState = applyConfChange(cc);
      return { kind: 'conf' };
    }
    if (e.data.byteLength === 0) return NONE; // a new leader's empty entry
    const ce = decodeCommandEntry(e.data);
    if (!ce) {
      this.log.warn('skipped an entry the runtime did not write', { index: e.index });
      return NONE;
    }
    const key = { client: ce.client, seq: ce.seq };
    const outcome = this.sessions.check(key, e.index);
    if (outcome.kind === 'apply') {
      let result: R | undefined;
      let error: Error | undefined;
      try {
        result = this.sm.apply(this.sm.decodeCommand(ce.command), { index: e.index, term: e.term });
      } catch (err) {
        // The contract says apply never throws; if it does, every replica throws alike.
        error = new ApplyFailedError(e.index, err);
        this.log.error('state machine apply threw', { index: e.index, err });
      }
      this.sessions.record(key, ce.acked, e.index, true, result);
      return error ? { kind: 'command', key, error } : { kind: 'command', key, result: result as R };
    }
    this.sessions.record(key, ce.acked, e.index, false);
    if (outcome.kind === 'duplicate') return { kind: 'command', key, result: outcome.result as R };
    return { kind: 'command', key, error: new StaleRequestError(key) };
  }

  /** Replaces the state machine, sessions and configuration with a snapshot's. */
  install(snap: Snapshot): void {
    const p = decodeSnapshotPayload(snap.data);
    this.sm.restore(p.state);
    this.sessions = SessionTable.fromData(p.sessions);
    this.applied = snap.metadata.index;
    this.appliedTerm = snap.metadata.term;
    this.confState = snap.metadata.confState;
  }

  /** A snapshot of everything applied so far (for compaction). */
  snapshot(): Snapshot {
    return {
      metadata: { index: this.applied, term: this.appliedTerm, confState: this.confState },
      data: encodeSnapshotPayload({ state: this.sm.snapshot(), sessions: this.sessions.toData() }),
    };
  }

  /** Reads the state machine; a throwing query becomes a rejection. */
  query(query: Q): Promise<QR> {
    try {
      return Promise.resolve(this.sm.query(query));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  encodeCommand(command: C): Uint8Array {
    return this.sm.encodeCommand(command);
  }

  decodeCommand(bytes: Uint8Array): C {
    return this.sm.decodeCommand(bytes);
  }
}
