/**
 * @module progress
 * What the leader knows about one follower's log (etcd's tracker/progress), and the flow-control
 * state machine that decides what to send it next:
 * - probe: the leader does not know where the follower's log matches; it sends one MsgApp and
 *   waits for the answer (or a heartbeat response) before sending another.
 * - replicate: the logs match up to `match`; the leader streams MsgApps optimistically, bounded
 *   by the inflights window.
 * - snapshot: the follower needs a snapshot; nothing else is sent until it is installed.
 */
import { Inflights } from './inflights.js';

export const ProgressState = { Probe: 'probe', Replicate: 'replicate', Snapshot: 'snapshot' } as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

export class Progress {
  /** Highest index known to be replicated (persisted) on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from during the current election timeout (CheckQuorum). */
  recentActive = false;
  /** In probe state: a probe is outstanding, send nothing more until an answer. */
  msgAppFlowPaused = false;
  /** Highest commit index sent to the follower. */
  sentCommit = 0;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    maxInflightBytes: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (or after match if that is further).
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
    this.sentCommit = snapshotIndex;
  }

  /** Records that a MsgApp with `entries` entries (ending at `lastIndex`) was sent. */
  sentEntries(entries: number, lastIndex: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === ProgressState.Probe) {
      // Any MsgApp in probe state is a probe: wait for its answer.
      this.msgAppFlowPaused = true;
    }
  }

  /** Whether sending `commit` might advance the follower's commit index. */
  canBumpCommit(commit: number): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** An acknowledgement up to `n` arrived. Returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    if (this.next < n + 1) this.next = n + 1;
    return updated;
  }

  /**
   * A rejection of the MsgApp whose previous index was `rejected` arrived, with the follower's
   * hint `matchHint` (its log may match up to there). Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether the leader must hold back MsgApps to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
