/**
 * @module invariants
 * The Raft safety properties (Raft paper §5.2–5.4, Figure 3) checked online against what the
 * simulated hosts observe. The host reports every persisted Ready, every applied entry and each
 * node's role; each report is checked at once, so a violation names the step it happened at.
 *
 * - Election Safety: at most one leader per term, over the whole run (not only at one instant).
 * - Leader Append-Only: while a node leads a term it never truncates or overwrites its log.
 * - Log Matching: entries with equal index and term hold the same command and follow entries
 *   with the same term; by induction the logs are then identical up to that index. Checked
 *   against one global table of every entry any node ever persisted.
 * - Leader Completeness: every entry known to be committed is in the log of every leader of that
 *   or a later term (checked when a node is first seen leading and whenever an entry commits).
 * - State Machine Safety: no two nodes apply different entries at one index; each node applies
 *   indices in order without gaps.
 * - Vote safety (Figure 2): a node's persisted term never goes back and it never changes its vote
 *   within a term, across crashes too.
 * - Exactly-once (thesis §6.3): a state machine executes each (client, seq) at most once, and a
 *   retry answered from the session table gets the result of the original execution.
 * - Persist before send (Figure 2, "respond after persisting"): a granted vote or a successful
 *   append acknowledgement leaves a node only once what it promises is durable (hosts that
 *   see their disk report it; the runtime simulator does).
 * - Stale read: a node that answers a read as leader of term T, while a leader of a later term
 *   was elected before the read reached it, served it from a stale state (no quorum of term T
 *   can confirm anything after a later term's quorum voted).
 * - Election quorum (§4.1, §5.2): a node that wins a term holds granted votes (its own included)
 *   from a majority of the configuration the cluster has committed, both halves of a joint one.
 *   A single change may be committed that the candidate has not applied yet, so a majority of
 *   the committed configuration before the latest one is accepted too. Catches a node that
 *   restarted with a stale configuration and counted only its own vote (FOUND-BUGS.md 7).
 */

export type InvariantKind =
  | 'election-safety'
  | 'leader-append-only'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'vote-safety'
  | 'exactly-once'
  | 'election-quorum'
  | 'persist-before-send'
  | 'stale-read'
  /** Runtime host: a lease revoked inside its TTL after an acknowledged refresh. */
  | 'lease-safety'
  /** Runtime host: a revoked or expired lease whose keys (or the lease) remain on a member. */
  | 'lease-expiry';

export interface Violation {
  readonly kind: InvariantKind;
  readonly step: number;
  readonly tick: number;
  readonly nodes: readonly string[];
  readonly indices: readonly number[];
  readonly message: string;
}

/** The part of a node's persisted log the checker reads (MemoryStorage satisfies it). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number;
}

export interface EntryFact {
  readonly index: number;
  readonly term: number;
  /** Identifies the command (type and data), e.g. digestEntry(). */
  readonly digest: string;
  /**
   * The applying node's term when it applied the entry: it learned the commit from a leader of
   * that term or an earlier one, so the entry was committed in this term at the latest.
   */
  readonly appliedInTerm?: number;
}

/** FNV-1a over the entry type and data: cheap and collision-resistant enough for checking. */
export function digestEntry(type: number, data: Uint8Array): string {
  let h = 0x811c9dc5 ^ type;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return `${type}:${data.length}:${(h >>> 0).toString(36)}`;
}

interface LeaderSeen {
  readonly term: number;
  lastIndex: number;
}

export class SafetyChecker {
  readonly violations: Violation[] = [];
  private step = 0;
  private tick = 0;
  private readonly leaderOfTerm = new Map<number, string>();
  /** Nodes currently believed leading, with the log end they had at their last persist. */
  private readonly leading = new Map<string, LeaderSeen>();
  private readonly logs = new Map<string, LogView>();
  private readonly entryTable = new Map<string, { digest: string; prevTerm: number; node: string }>();
  /** Committed facts, with the highest leader term seen when each was first applied (its commit term is at most that). */
  /** `seenInTerm`: the latest term the entry can have been committed in (leaders after it must hold it). */
  private readonly committed = new Map<number, EntryFact & { node: string; seenInTerm: number }>();
  private highestLeaderTerm = 0;
  private readonly lastApplied = new Map<string, number>();
  private readonly hardStates = new Map<string, { term: number; vote: string | null }>();
  /** Per node (this incarnation of its state machine): command key -> result of its execution. */
  private readonly executions = new Map<string, Map<string, string>>();
  /** `voter@term` -> the candidate it granted its vote to. */
  private readonly grantedBy = new Map<string, string>();
  /** `candidate:term` -> the voters that granted it their (real, not pre-) vote. */
  private readonly votes = new Map<string, Set<string>>();
  /** The latest committed configuration and the one before it, by conf change index. */
  private confs: { index: number; conf: VoterSets }[] = [];
  /**
   * Per `candidate:term`, the committed configurations when its first vote was granted: a
   * candidate paused after its votes arrived may win after newer configurations committed (in
   * later terms), and its election is judged by the configuration its voters were in.
   */
  private readonly confsAtVote = new Map<string, { index: number; conf: VoterSets }[]>();

  /** Sets the position every following violation is reported at. */
  at(step: number, tick: number): void {
    this.step = step;
    this.tick = tick;
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  private fail(kind: InvariantKind, nodes: string[], indices: number[], message: string): void {
    this.violations.push({ kind, step: this.step, tick: this.tick, nodes, indices, message });
  }

  /** A violation found by a host's own check (e.g. the runtime host's lease invariant), at the current position. */
  report(kind: InvariantKind, nodes: string[], indices: number[], message: string): void {
    this.fail(kind, nodes, indices, message);
  }

  /**
   * A node is leader of `term` right now. Cheap (Election Safety only), so hosts call it after
   * every step and tick: a leadership that begins and ends between two Readies is seen too.
   */
  observeLeader(node: string, term: number): void {
    const other = this.leaderOfTerm.get(term);
    if (other === node) return;
    if (other !== undefined) {
      this.fail('election-safety', [other, node], [], `two leaders in term ${term}: ${other} and ${node}`);
    }
    this.leaderOfTerm.set(term, node);
    if (term > this.highestLeaderTerm) this.highestLeaderTerm = term;
    this.checkElectionQuorum(node, term);
  }

  /**
   * The configuration produced by the conf change at `index` is committed (some node applied
   * it); the founding configuration is reported with index 0. Older reports are ignored.
   */
  observeCommittedConf(index: number, conf: VoterSets): void {
    const latest = this.confs[this.confs.length - 1];
    if (latest !== undefined && index <= latest.index) return;
    this.confs = [...this.confs.slice(-1), { index, conf: { voters: [...conf.voters], votersOutgoing: [...conf.votersOutgoing] } }];
  }

  /** `node` sent an acknowledgement (`what`); `durable` says whether its disk already held what it promises. */
  observeAck(node: string, what: string, durable: boolean): void {
    if (!durable) this.fail('persist-before-send', [node], [], `${node} sent ${what} before it was durable`);
  }

  /**
   * `node` answered a read that reached it at `callTime` as leader of `term`; `laterLeader` is the first
   * leader elected in a later term and when, if any.
   */
  observeLeaderRead(node: string, term: number, callTime: number, laterLeader: { node: string; term: number; at: number } | undefined): void {
    if (laterLeader === undefined || laterLeader.at >= callTime) return;
    this.fail(
      'stale-read',
      [node, laterLeader.node],
      [],
      `${node} answered a read it received at ${callTime} as leader of term ${term}, but ${laterLeader.node} was elected for term ${laterLeader.term} at ${laterLeader.at}`,
    );
  }

  /**
   * `voter` granted `candidate` its vote for `term` (a voteResp that did not reject). Also
   * vote safety as seen on the wire: one voter granting two candidates one term, e.g. after a
   * restart that lost the first vote.
   */
  observeVoteGranted(candidate: string, voter: string, term: number): void {
    const vk = `${voter}@${term}`;
    const first = this.grantedBy.get(vk);
    if (first === undefined) this.grantedBy.set(vk, candidate);
    else if (first !== candidate) {
      this.fail('vote-safety', [voter, first, candidate], [], `${voter} granted its term-${term} vote to ${first} and then to ${candidate}`);
    }
    const key = `${candidate}:${term}`;
    if (!this.confsAtVote.has(key)) this.confsAtVote.set(key, this.confs);
    let granted = this.votes.get(key);
    if (granted === undefined) this.votes.set(key, (granted = new Set()));
    granted.add(voter);
  }

  private checkElectionQuorum(node: string, term: number): void {
    if (this.confs.length === 0) return; // the host reports no configurations
    const granted = new Set(this.votes.get(`${node}:${term}`) ?? []);
    granted.add(node);
    const judged = [...(this.confsAtVote.get(`${node}:${term}`) ?? []), ...this.confs];
    if (judged.some((c) => hasQuorum(c.conf, granted))) return;
    const latest = this.confs[this.confs.length - 1]!.conf;
    const joint = latest.votersOutgoing.length ? ` & [${latest.votersOutgoing.join(' ')}]` : '';
    this.fail(
      'election-quorum',
      [node],
      [this.confs[this.confs.length - 1]!.index],
      `${node} won term ${term} with the votes of [${[...granted].sort().join(' ')}], no majority of the committed configuration [${latest.voters.join(' ')}]${joint}`,
    );
  }

  /**
   * A node's role as reported by status(); call after each of its Readies is persisted. `log`
   * is its durable log (Leader Append-Only compares writes against its end); `held` is the log
   * it holds, durable or not, which Leader Completeness checks (default: `log`).
   */
  observeRole(node: string, term: number, isLeader: boolean, log: LogView, held: LogView = log): void {
    this.logs.set(node, held);
    if (!isLeader) {
      this.leading.delete(node);
      return;
    }
    this.observeLeader(node, term);
    const seen = this.leading.get(node);
    if (seen === undefined || seen.term !== term) {
      this.leading.set(node, { term, lastIndex: log.lastIndex() });
      // Newly leading: it must hold every entry committed in an earlier term. A leader of an old
      // term seen late (its process was paused) need not hold what a later term committed.
      for (const fact of this.committed.values()) if (fact.seenInTerm < term) this.checkHolds(node, term, held, fact);
    } else {
      seen.lastIndex = log.lastIndex();
    }
  }

  /** A node crashed: it leads nothing until it is observed again. */
  observeCrash(node: string): void {
    this.leading.delete(node);
    this.logs.delete(node);
    this.lastApplied.delete(node);
    this.executions.delete(node);
  }

  /**
   * A node's state machine decided what to do with command `key` (client:seq): executed it
   * (`apply`) or answered from its session cache (`duplicate`), with `result` either way.
   */
  observeExecution(node: string, key: string, decision: 'apply' | 'duplicate', result: string): void {
    let seen = this.executions.get(node);
    if (seen === undefined) this.executions.set(node, (seen = new Map()));
    const first = seen.get(key);
    if (decision === 'apply') {
      if (first !== undefined) this.fail('exactly-once', [node], [], `${node} executed command ${key} twice`);
      seen.set(key, result);
    } else if (first !== undefined && first !== result) {
      this.fail('exactly-once', [node], [], `${node} answered a retry of ${key} with ${result}, but it first returned ${first}`);
    }
  }

  /**
   * A node persisted `entries` (appended after its entry at first-1, whose term is prevTerm)
   * and possibly a snapshot at `snapshotIndex`; `now` is its role after the Ready was taken.
   * Call before observeRole for the same Ready.
   */
  observePersist(
    node: string,
    entries: readonly EntryFact[],
    prevTerm: number,
    snapshotIndex: number | null,
    now: { readonly term: number; readonly isLeader: boolean },
  ): void {
    const lead = this.leading.get(node);
    // Only a node still leading the same term made these changes as leader; one that stepped
    // down in between may legitimately have truncated its log as a follower.
    if (lead !== undefined && now.isLeader && now.term === lead.term) {
      if (snapshotIndex !== null) {
        this.fail('leader-append-only', [node], [snapshotIndex], `leader ${node} (term ${lead.term}) installed a snapshot at ${snapshotIndex}`);
      }
      const first = entries[0];
      if (first !== undefined && first.index <= lead.lastIndex) {
        this.fail(
          'leader-append-only',
          [node],
          [first.index, lead.lastIndex],
          `leader ${node} (term ${lead.term}) overwrote its log from index ${first.index} (its log ended at ${lead.lastIndex})`,
        );
      }
    }
    let prev = prevTerm;
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const known = this.entryTable.get(key);
      if (known === undefined) {
        this.entryTable.set(key, { digest: e.digest, prevTerm: prev, node });
      } else if (known.digest !== e.digest || known.prevTerm !== prev) {
        const what = known.digest !== e.digest ? 'different commands' : `different previous terms (${known.prevTerm} vs ${prev})`;
        this.fail('log-matching', [known.node, node], [e.index], `entry ${e.index} term ${e.term} has ${what} on ${known.node} and ${node}`);
      }
      prev = e.term;
    }
  }

  /** A node applied an entry to its state machine (only committed entries may be applied). */
  observeApply(node: string, fact: EntryFact): void {
    const last = this.lastApplied.get(node);
    if (last !== undefined && fact.index !== last + 1) {
      this.fail('state-machine-safety', [node], [last, fact.index], `${node} applied index ${fact.index} right after ${last}`);
    }
    this.lastApplied.set(node, fact.index);
    const known = this.committed.get(fact.index);
    if (known === undefined) {
      const seenInTerm = Math.min(fact.appliedInTerm ?? this.highestLeaderTerm, this.highestLeaderTerm);
      this.committed.set(fact.index, { ...fact, node, seenInTerm });
      // A sitting leader of a later term than the commit must hold it; one of the commit's term
      // or earlier need not (a paused candidate may win an old term after a newer one committed).
      for (const [leader, seen] of this.leading) {
        const log = this.logs.get(leader);
        if (log !== undefined && seen.term > seenInTerm) this.checkHolds(leader, seen.term, log, fact);
      }
    } else if (known.term !== fact.term || known.digest !== fact.digest) {
      this.fail(
        'state-machine-safety',
        [known.node, node],
        [fact.index],
        `index ${fact.index}: ${known.node} applied term ${known.term} (${known.digest}), ${node} applied term ${fact.term} (${fact.digest})`,
      );
    }
  }

  /** A node restored its state machine from a snapshot covering everything up to `index`. */
  observeRestore(node: string, index: number): void {
    this.lastApplied.set(node, index);
  }

  /** A node persisted a hard state (term, vote). */
  observeHardState(node: string, term: number, vote: string | null): void {
    const prev = this.hardStates.get(node);
    if (prev !== undefined) {
      if (term < prev.term) {
        this.fail('vote-safety', [node], [], `${node} persisted term ${term} after term ${prev.term}`);
      } else if (term === prev.term && prev.vote !== null && vote !== prev.vote) {
        this.fail('vote-safety', [node], [], `${node} changed its vote in term ${term} from ${prev.vote} to ${vote ?? 'none'}`);
      }
    }
    this.hardStates.set(node, { term, vote });
  }

  private checkHolds(node: string, term: number, log: LogView, fact: EntryFact & { node?: string }): void {
    if (fact.index < log.firstIndex() - 1) return; // compacted into its snapshot
    if (fact.index > log.lastIndex()) {
      this.fail('leader-completeness', [node], [fact.index], `leader ${node} of term ${term} lacks committed entry ${fact.index} (log ends at ${log.lastIndex()})`);
      return;
    }
    const t = log.term(fact.index);
    if (t !== fact.term) {
      this.fail('leader-completeness', [node], [fact.index], `leader ${node} of term ${term} has term ${t} at committed index ${fact.index}, committed term is ${fact.term}`);
    }
  }
}

/** The part of a configuration that decides elections. */
export interface VoterSets {
  readonly voters: readonly string[];
  readonly votersOutgoing: readonly string[];
}

function hasQuorum(conf: VoterSets, granted: ReadonlySet<string>): boolean {
  const majority = (ids: readonly string[]): boolean => ids.length === 0 || ids.filter((id) => granted.has(id)).length * 2 > ids.length;
  return conf.voters.length > 0 && majority(conf.voters) && majority(conf.votersOutgoing);
}

export function formatViolation(v: Violation, seed: number): string {
  return `seed ${seed} step ${v.step} tick ${v.tick}: ${v.kind}: ${v.message} [nodes ${v.nodes.join(',')}${v.indices.length ? `; indices ${v.indices.join(',')}` : ''}]`;
}
