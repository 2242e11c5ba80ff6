/**
 * @module tracker
 * The leader's view of the cluster (etcd's tracker/tracker): the current configuration (joint from
 * the start), per-node Progress, and the votes of an election in flight.
 */
import { Progress } from './progress.js';
import { JointConfig, MajorityConfig, VoteResult } from './quorum.js';
import type { ConfState, NodeId } from './types.js';

export interface TrackerConfig {
  readonly voters: JointConfig;
  /** Non-voting members that receive the log. Disjoint from voters.incoming. */
  readonly learners: ReadonlySet<NodeId>;
  /** Outgoing voters demoted to learners once the joint config is left. */
  readonly learnersNext: ReadonlySet<NodeId>;
  readonly autoLeave: boolean;
}

export function configFromConfState(cs: ConfState): TrackerConfig {
  return {
    voters: new JointConfig(new MajorityConfig(cs.voters), new MajorityConfig(cs.votersOutgoing)),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

export function confStateFromConfig(c: TrackerConfig): ConfState {
  return {
    voters: [...c.voters.incoming.ids],
    learners: [...c.learners].sort(),
    votersOutgoing: [...c.voters.outgoing.ids],
    learnersNext: [...c.learnersNext].sort(),
    autoLeave: c.autoLeave,
  };
}

export class ProgressTracker {
  config: TrackerConfig;
  progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  private readonly voteOf = (id: NodeId): boolean | undefined => this.votes.get(id);

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {
    this.config = configFromConfState({
      voters: [],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
  }

  /**
   * Installs a configuration, keeping the progress of nodes that stay and creating fresh
   * progress (next = `nextIndex`) for new ones.
   */
  applyConfig(config: TrackerConfig, nextIndex: number): void {
    const members = new Set<NodeId>([...config.voters.ids(), ...config.learners, ...config.learnersNext]);
    const progress = new Map<NodeId, Progress>();
    for (const id of [...members].sort()) {
      const isLearner = config.learners.has(id) || (config.learnersNext.has(id) && !config.voters.has(id));
      let pr = this.progress.get(id);
      if (pr === undefined) {
        pr = new Progress(nextIndex, this.maxInflight, this.maxInflightBytes, isLearner);
        // A node just added gets a grace period before CheckQuorum counts it as silent.
        pr.recentActive = true;
      }
      pr.isLearner = isLearner;
      progress.set(id, pr);
    }
    this.config = config;
    this.progress = progress;
  }

  confState(): ConfState {
    return confStateFromConfig(this.config);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.has(id);
  }

  /**
   * Whether `id` is the one voter (it decides alone). Not merely "one voter": a leader demoted to
   * learner in a configuration whose one voter is another node must not answer reads by itself.
   */
  isSoleVoter(id: NodeId): boolean {
    const { incoming, outgoing } = this.config.voters;
    return incoming.size === 1 && incoming.has(id) && outgoing.size === 0;
  }

  /** The largest index a (joint) majority has persisted. */
  committed(): number {
    return this.config.voters.committedIndex(this.progress);
  }

  /** Whether a quorum was recently active (CheckQuorum). `self` counts as active. */
  quorumActive(self: NodeId): boolean {
    return (
      this.config.voters.voteResult((id) => {
        if (id === self) return true;
        const pr = this.progress.get(id);
        return pr === undefined ? undefined : pr.recentActive;
      }) === VoteResult.Won
    );
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  voteResult(): VoteResult {
    return this.config.voters.voteResult(this.voteOf);
  }

  /** Counts of granted and rejected votes among current voters. */
  tallyVotes(): { granted: number; rejected: number } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.config.voters.ids()) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected };
  }
}
