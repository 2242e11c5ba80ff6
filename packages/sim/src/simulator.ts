/**
 * @module simulator
 * One seeded run of a simulated meshraft cluster: nodes (sim-node), a faulty network (network),
 * KV clients (workload), online safety checks (invariants) and, at the end, a linearizability
 * check of the client history and a liveness check. Every random choice comes from one
 * xoshiro128** seeded with `seed`, split into independent streams per concern, so a seed
 * replays exactly (tracing on or off).
 *
 * A run has two phases. During the fault phase nodes crash (at random points of the Ready
 * loop, including between persisting and sending) and restart, partitions (symmetric, isolating
 * or one-way) come and go, and the network loses, duplicates and reorders messages. Then all
 * faults heal: every node is up, the network is clean, and the cluster must elect one leader and
 * commit a new entry within `livenessBound` ticks.
 */
import { MeshraftError, type ConfChange } from '@meshraft/core';
import { Cluster } from './cluster.js';
import { encodeCommand } from './commands.js';
import { BadSimConfigError } from './errors.js';
import { formatViolation, type Violation } from './invariants.js';
import { checkOperations, formatExplanation, type CheckResult } from './linearizability/check.js';
import { kvModel, type KvOperation } from './linearizability/kv-model.js';
import type { NetworkOptions, NetworkStats } from './network.js';
import { Xoshiro128 } from './random.js';
import { CRASH_POINTS, emptyPipelineStats, PIPELINED_BUGS, PIPELINED_CRASH_POINTS, type HostMode, type PipelinedBug, type PipelineStats, type SimBug, type SimNode } from './sim-node.js';
import { Workload, type WorkloadOptions, type WorkloadStats } from './workload.js';

export interface FaultOptions {
  /** Chance per tick that a random live node crashes between ticks. */
  readonly crashRate: number;
  /**
   * Chance per tick that a leader elected less than two election timeouts ago crashes: new
   * leaders hold the least replicated logs, where the subtle bugs live (Raft paper Figure 8).
   */
  readonly newLeaderCrashRate: number;
  /** Chance per Ready that the node crashes at a random point of the Ready loop. */
  readonly readyCrashRate: number;
  /** Chance per tick that a crashed node restarts. */
  readonly restartRate: number;
  /** Chance per tick that a new partition starts (replacing any current one). */
  readonly partitionRate: number;
  /** Chance per tick that the current partition heals. */
  readonly healRate: number;
  /** Chance per tick per node that its clock skips a tick (drift). */
  readonly tickSkipRate: number;
  /**
   * Chance per tick that a random node is throttled for 20-100 ticks, losing 80% of its ticks:
   * a browser tab in the background, whose timers run late. Breaks timing assumptions (leases),
   * which Raft's safety must not depend on.
   */
  readonly throttleRate: number;
  /** Chance per tick that the leader is asked to transfer leadership to a random voter. */
  readonly transferRate: number;
}

export interface MembershipOptions {
  /** Extra nodes, outside the founding configuration, that changes can add. */
  readonly spares: number;
  /** Chance per tick that the leader is asked for a random membership change. */
  readonly changeRate: number;
}

export interface SimOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Ticks of the fault phase. */
  readonly ticks: number;
  /** After healing: ticks allowed to elect a leader and commit a new entry. */
  readonly livenessBound: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** Network behaviour during the fault phase; undefined: a profile drawn from the seed. */
  readonly network: NetworkOptions | undefined;
  readonly faults: FaultOptions | null;
  readonly workload: WorkloadOptions;
  /** Random membership changes during the fault phase (null: fixed membership). */
  readonly membership: MembershipOptions | null;
  readonly sessionTtl: number;
  /** Leaders send before persisting (core Ready rule 2); undefined: drawn from the seed. */
  readonly leaderSendsFirst: boolean | undefined;
  /** Snapshot every this many applied entries (0: never); undefined: drawn from the seed. */
  readonly snapshotEvery: number | undefined;
  readonly snapshotChunkSize: number;
  /** Max linearizability search steps before answering `unknown`. */
  readonly maxCheckSteps: number;
  /** Called with readable trace lines (verbose mode). */
  readonly trace?: (line: string) => void;
  /** Trace every delivered message too. */
  readonly traceMessages?: boolean;
  /** A deliberately broken host on every node (test double; the run must then fail). */
  readonly bug?: SimBug;
  /** The Ready loop of every node (default classic; see sim-node). */
  readonly host: HostMode;
  /** Pipelined host: a disk write takes 0..maxWriteTicks ticks, drawn per write from the seed. */
  readonly maxWriteTicks: number;
}

export const DEFAULT_OPTIONS: Omit<SimOptions, 'seed'> = {
  nodes: 3,
  ticks: 600,
  livenessBound: 200,
  electionTick: 10,
  heartbeatTick: 1,
  network: undefined,
  faults: {
    crashRate: 0.01,
    newLeaderCrashRate: 0.02,
    readyCrashRate: 0.004,
    restartRate: 0.05,
    partitionRate: 0.02,
    healRate: 0.03,
    tickSkipRate: 0.02,
    throttleRate: 0.01,
    transferRate: 0.005,
  },
  workload: { clients: 4, keys: 3, opRate: 0.4, timeout: 40, retryRate: 0.5, maxAttempts: 3, readIndexRate: 0.7 },
  membership: { spares: 2, changeRate: 0.01 },
  sessionTtl: 100_000,
  snapshotEvery: undefined,
  leaderSendsFirst: undefined,
  snapshotChunkSize: 64,
  maxCheckSteps: 2_000_000,
  host: 'classic',
  maxWriteTicks: 3,
};

/** Network profiles a seed picks from when none is given: calm, lossy, slow, chaotic. */
export const NETWORK_PROFILES: readonly NetworkOptions[] = [
  { minDelay: 1, maxDelay: 2, dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.02, reorderDelay: 3 },
  { minDelay: 1, maxDelay: 3, dropRate: 0.1, duplicateRate: 0.05, reorderRate: 0.05, reorderDelay: 6 },
  { minDelay: 2, maxDelay: 8, dropRate: 0.03, duplicateRate: 0.02, reorderRate: 0.1, reorderDelay: 10 },
  { minDelay: 1, maxDelay: 5, dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.2, reorderDelay: 15 },
];

/**
 * Every timed-out operation is retried (same client and seq) at another node, soon enough that
 * the original is often still in flight, so duplicates reach the log (`pnpm sim --retry-heavy`).
 */
export const RETRY_HEAVY_WORKLOAD: WorkloadOptions = { ...DEFAULT_OPTIONS.workload, timeout: 12, retryRate: 1, maxAttempts: 8 };

export type SimVerdict = 'ok' | 'violation' | 'not-linearizable' | 'check-unknown' | 'no-liveness' | 'exception';

export interface SimResult {
  readonly seed: number;
  readonly verdict: SimVerdict;
  readonly ticks: number;
  readonly leadersElected: number;
  /** Highest index applied by any node. */
  readonly commits: number;
  readonly opsChecked: number;
  readonly violations: readonly Violation[];
  readonly linearizability: CheckResult | null;
  /** Ticks from healing to a new committed entry (null if it never happened). */
  readonly livenessTicks: number | null;
  readonly crashes: number;
  readonly partitions: number;
  readonly duplicatesSuppressed: number;
  readonly workload: WorkloadStats;
  readonly network: NetworkStats;
  readonly snapshotsInstalled: number;
  readonly confChanges: number;
  /** What the pipelined hosts did, summed over nodes (all zero in classic mode). */
  readonly pipeline: PipelineStats;
  /** Messages sent, by type. */
  readonly messages: Readonly<Record<string, number>>;
  /** A readable description of what went wrong (empty when ok). */
  readonly detail: string;
  readonly history: readonly KvOperation[];
}

export function simulate(partial: Partial<SimOptions> & { seed: number }): SimResult {
  return new Simulation({ ...DEFAULT_OPTIONS, ...partial }).run();
}

class Simulation {
  private readonly faultRng: Xoshiro128;
  private readonly cluster: Cluster;
  private readonly workload: Workload;
  private clock = 0;
  private partitions = 0;
  private exception: string | null = null;
  private healedAt: number | null = null;
  private markAppliedAt: number | null = null;
  private markProposedTerm = -1;
  private readonly netOptions: NetworkOptions;
  /** Tick until which each node's clock is throttled (0: not). */
  private readonly throttledUntil = new Map<string, number>();

  constructor(private readonly o: SimOptions) {
    if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 9) {
      throw new BadSimConfigError(`nodes must be an integer in 1..9, got ${o.nodes}`);
    }
    if (!Number.isInteger(o.ticks) || o.ticks < 0) throw new BadSimConfigError(`ticks must be a non-negative integer, got ${o.ticks}`);
    if (o.host !== 'classic' && o.host !== 'pipelined') throw new BadSimConfigError(`host must be classic or pipelined, got ${String(o.host)}`);
    if (!Number.isInteger(o.maxWriteTicks) || o.maxWriteTicks < 0) throw new BadSimConfigError(`maxWriteTicks must be a non-negative integer, got ${o.maxWriteTicks}`);
    if (o.bug !== undefined && PIPELINED_BUGS.includes(o.bug as PipelinedBug) && o.host !== 'pipelined') {
      throw new BadSimConfigError(`bug ${o.bug} needs the pipelined host`);
    }
    const root = new Xoshiro128(o.seed);
    this.faultRng = root.fork();
    const scenario = root.fork();
    this.netOptions = o.network ?? scenario.pick(NETWORK_PROFILES);
    const snapshotEvery = o.snapshotEvery ?? scenario.pick([0, 0, 5, 20]);
    const leaderSendsFirst = o.leaderSendsFirst ?? scenario.chance(0.5);
    // Flow control: core defaults, or tiny batches (one entry per MsgApp) and a short window,
    // which split a new leader's catch-up into many messages acknowledged one by one.
    const tinyBatches = scenario.chance(0.5);
    const spares = o.membership?.spares ?? 0;
    const ids = Array.from({ length: o.nodes + spares }, (_, i) => `n${i + 1}`);
    for (const id of ids) this.throttledUntil.set(id, 0);
    this.cluster = new Cluster({
      ids,
      voters: ids.slice(0, o.nodes),
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      sessionTtl: o.sessionTtl,
      snapshotEvery,
      snapshotChunkSize: o.snapshotChunkSize,
      network: this.netOptions,
      bug: o.bug,
      leaderSendsFirst,
      host: o.host,
      maxWriteTicks: o.maxWriteTicks,
      maxSizePerMsg: tinyBatches ? 1 : undefined,
      maxInflightMsgs: tinyBatches ? 4 : undefined,
      rng: root.fork(),
      trace: o.trace,
      traceMessages: o.traceMessages,
    });
    this.workload = new Workload(root.fork(), o.workload, this.cluster.nodes, () => this.clock++, this.cluster.trace);
    this.cluster.listen({
      onApplied: (node, outcome, entry) => {
        if (outcome.kind === 'mark' && this.healedAt !== null && this.markAppliedAt === null) {
          if (this.settledLeader(outcome.id)) {
            this.markAppliedAt = this.cluster.now;
            this.cluster.trace(`${node.id} applied liveness marker ${outcome.id} at index ${entry.index}`);
          } else {
            this.markProposedTerm = -1; // committed, but membership was still moving: try again
          }
        }
        this.workload.onApplied(node, outcome);
      },
      onRead: (readId, output) => this.workload.onRead(readId, output),
    });
  }

  run(): SimResult {
    const c = this.cluster;
    c.startAll();
    const total = this.o.ticks + this.o.livenessBound;
    const f = this.o.faults;
    const crashPoints = this.o.host === 'pipelined' ? PIPELINED_CRASH_POINTS : CRASH_POINTS;
    try {
      for (c.now = 0; c.now < total; c.now++) {
        if (c.now === this.o.ticks) this.healAll();
        const faulty = f !== null && this.healedAt === null;
        if (faulty) this.injectFaults(f);
        if (this.o.membership !== null) this.driveMembership(this.o.membership, this.healedAt !== null);
        c.deliver();
        c.tickNodes(faulty ? (n) => this.faultRng.chance(this.throttledUntil.get(n.id)! > c.now ? 0.8 : f.tickSkipRate) : undefined);
        this.workload.tick(c.now);
        c.processReadies(
          faulty
            ? () => (this.faultRng.chance(f.readyCrashRate) ? { point: this.faultRng.pick(crashPoints), fraction: this.faultRng.float() } : undefined)
            : undefined,
        );
        if (this.healedAt !== null) {
          this.driveLiveness();
          if (this.markAppliedAt !== null && !this.workload.busy) break;
        }
        if (!c.checker.ok) break;
      }
    } catch (e) {
      this.exception = `seed ${this.o.seed} step ${c.steps} tick ${c.now}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    return this.finish();
  }

  private healAll(): void {
    const c = this.cluster;
    this.healedAt = c.now;
    c.net.heal();
    // Healed means a network well within Raft's timing assumption (broadcast << election timeout).
    c.net.setOptions({ minDelay: 1, maxDelay: 2, dropRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelay: 0 });
    for (const n of c.nodes) if (!n.alive) c.restart(n);
    for (const n of c.nodes) n.heal();
    this.workload.stop();
    c.trace('all faults healed: every node up, network clean');
    for (const n of c.nodes) c.trace(`  ${describeNode(n)}`);
  }

  private injectFaults(f: FaultOptions): void {
    const r = this.faultRng;
    const c = this.cluster;
    const ids = c.ids;
    if (r.chance(f.crashRate)) {
      const live = c.nodes.filter((n) => n.alive);
      if (live.length > 0) c.crash(r.pick(live), 'between ticks');
    }
    if (r.chance(f.newLeaderCrashRate)) {
      const leader = c.leader();
      const since = leader === undefined ? undefined : c.leaderSince.get(leader.id);
      if (leader !== undefined && since !== undefined && c.now - since < 2 * this.o.electionTick) {
        c.crash(leader, `${c.now - since} ticks after winning its election`);
      }
    }
    for (const n of c.nodes) if (!n.alive && r.chance(f.restartRate)) c.restart(n);
    if (r.chance(f.throttleRate)) {
      const n = r.pick(c.nodes);
      const ticks = r.range(20, 100);
      this.throttledUntil.set(n.id, c.now + ticks);
      c.trace(`${n.id} is throttled (a background tab) for ${ticks} ticks`);
    }
    if (r.chance(f.transferRate)) {
      const leader = c.leader();
      const voters = leader?.conf.voters.filter((v) => v !== leader.id) ?? [];
      if (leader !== undefined && voters.length > 0) {
        const to = r.pick(voters);
        c.trace(`transfer: ${leader.id} asked to hand leadership to ${to}`);
        leader.raw!.transferLeadership(to);
      }
    }
    if (r.chance(f.partitionRate) && ids.length > 1) {
      c.net.heal();
      this.partitions++;
      const kind = r.int(3);
      if (kind === 0) {
        c.net.isolate(r.pick(ids), ids);
      } else if (kind === 1) {
        const shuffled = r.shuffle(ids);
        const cut = 1 + r.int(ids.length - 1);
        c.net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      } else {
        // One-way: some links lose one direction only.
        const links = 1 + r.int(ids.length);
        for (let i = 0; i < links; i++) c.net.cut(r.pick(ids), r.pick(ids));
      }
      c.trace(`partition: cut ${c.net.describeCuts() || '(nothing)'}`);
    } else if (c.net.partitioned && r.chance(f.healRate)) {
      c.net.heal();
      c.trace('partition healed');
    }
  }

  /**
   * Liveness counts a marker only if its proposer still leads its term, alone, in a settled
   * (non-joint) configuration: a pending membership change may still remove that leader.
   */
  private settledLeader(markId: string): boolean {
    const c = this.cluster;
    const leaders = c.nodes.filter((n) => n.alive && n.isLeader());
    const l = leaders[0];
    return leaders.length === 1 && l !== undefined && markId === `live@${l.status()!.term}` && l.conf.votersOutgoing.length === 0 && c.isMember(l.id);
  }

  /**
   * Asks the leader for a random valid membership change (simple or joint; learners too). Once
   * healed, only finishes an explicit joint change (an operator would), every tick until it sticks.
   */
  private driveMembership(m: MembershipOptions, healed: boolean): void {
    const r = this.faultRng;
    if (!healed && !r.chance(m.changeRate)) return;
    const c = this.cluster;
    const leader = c.leader();
    if (leader === undefined) return;
    const conf = leader.conf;
    let cc: ConfChange;
    if (conf.votersOutgoing.length > 0) {
      if (conf.autoLeave) return;
      cc = { changes: [] };
    } else if (healed) {
      return;
    } else {
      const spares = c.ids.filter((id) => !c.everMember.has(id));
      const { voters, learners } = conf;
      const choices: (() => ConfChange)[] = [];
      if (spares.length > 0) {
        choices.push(() => ({ changes: [{ type: 'addLearner', node: r.pick(spares) }] }));
        choices.push(() => ({ changes: [{ type: 'addVoter', node: r.pick(spares) }] }));
      }
      if (learners.length > 0) choices.push(() => ({ changes: [{ type: 'addVoter', node: r.pick(learners) }] }));
      if (voters.length > 2) {
        choices.push(() => ({ changes: [{ type: 'remove', node: r.pick(voters) }] }));
        choices.push(() => ({ changes: [{ type: 'addLearner', node: r.pick(voters) }] })); // demotion
      }
      if (voters.length >= 2 && learners.length + spares.length > 0) {
        // Replace a voter in one joint change, left automatically or by an explicit empty change.
        const incoming = learners.length > 0 && (spares.length === 0 || r.chance(0.5)) ? r.pick(learners) : r.pick(spares);
        choices.push(() => ({
          changes: [
            { type: 'remove', node: r.pick(voters) },
            { type: 'addVoter', node: incoming },
          ],
          transition: r.chance(0.5) ? 'explicit' : 'auto',
        }));
      }
      if (choices.length === 0) return;
      cc = r.pick(choices)();
    }
    try {
      leader.raw!.proposeConfChange(cc);
      c.trace(`membership: ${leader.id} proposes ${describeConfChange(cc)}`);
    } catch (e) {
      if (!(e instanceof MeshraftError)) throw e;
    }
  }

  /** After healing: propose one marker entry per term at the leader; done once one is applied. */
  private driveLiveness(): void {
    if (this.markAppliedAt !== null) return;
    const leader = this.cluster.leader();
    if (leader === undefined) return;
    const term = leader.status()!.term;
    if (term === this.markProposedTerm) return;
    try {
      leader.raw!.propose(encodeCommand({ t: 'mark', id: `live@${term}` }));
      this.markProposedTerm = term;
      this.cluster.trace(`liveness: ${leader.id} leads term ${term}; proposing a marker`);
    } catch {
      // e.g. a leadership transfer in progress; try again next tick
    }
  }

  private finish(): SimResult {
    const o = this.o;
    const c = this.cluster;
    const history = this.workload.history();
    const violations = c.checker.violations;
    let verdict: SimVerdict = 'ok';
    let detail = '';
    let lin: CheckResult | null = null;
    const livenessTicks = this.markAppliedAt !== null && this.healedAt !== null ? this.markAppliedAt - this.healedAt : null;
    if (this.exception !== null) {
      verdict = 'exception';
      detail = this.exception;
    } else if (violations.length > 0) {
      verdict = 'violation';
      detail = violations.slice(0, 5).map((v) => formatViolation(v, o.seed)).join('\n');
    } else {
      lin = checkOperations(kvModel, history, { maxSteps: o.maxCheckSteps });
      if (lin.verdict === 'illegal') {
        verdict = 'not-linearizable';
        detail = formatExplanation(lin.explanation!);
      } else if (lin.verdict === 'unknown') {
        verdict = 'check-unknown';
        detail = `linearizability check gave up after ${lin.steps} steps`;
      } else if (livenessTicks === null) {
        verdict = 'no-liveness';
        const roles = c.nodes.map((n) => `${n.id}:${n.status()?.role ?? 'down'}@${n.status()?.term ?? '-'}`).join(' ');
        detail = `no new entry committed within ${o.livenessBound} ticks after healing (${roles})`;
      }
    }
    return {
      seed: o.seed,
      verdict,
      ticks: c.now,
      leadersElected: c.leaderTerms.size,
      commits: c.maxApplied,
      opsChecked: history.length,
      violations,
      linearizability: lin,
      livenessTicks,
      crashes: c.crashes,
      partitions: this.partitions,
      duplicatesSuppressed: c.nodes.reduce((s, n) => s + n.sm.duplicatesSuppressed, 0),
      workload: { ...this.workload.stats },
      network: { ...c.net.stats },
      snapshotsInstalled: c.nodes.reduce((s, n) => s + n.snapshotsInstalled, 0),
      confChanges: c.confChangesApplied,
      pipeline: sumPipelineStats(c.nodes),
      messages: Object.fromEntries([...c.messageCounts].sort()),
      detail,
      history,
    };
  }
}

function sumPipelineStats(nodes: readonly SimNode[]): PipelineStats {
  const sum = emptyPipelineStats();
  for (const n of nodes) {
    for (const k of Object.keys(sum) as (keyof PipelineStats)[]) {
      sum[k] = k === 'maxInFlightReadies' ? Math.max(sum[k], n.pipeline[k]) : sum[k] + n.pipeline[k];
    }
  }
  return sum;
}

/** One line of a node's state for traces: role, term, log end, commit, applied, configuration. */
function describeNode(n: SimNode): string {
  const st = n.status();
  if (st === null) return `${n.id}: down`;
  const c = n.conf;
  const joint = c.votersOutgoing.length ? ` & [${c.votersOutgoing.join(' ')}]` : '';
  const lastTerm = n.disk.term(n.disk.lastIndex());
  return `${n.id}: ${st.role} term ${st.term}, log ..${n.disk.lastIndex()}/t${lastTerm}, commit ${st.commit}, applied ${n.applied}, voters [${c.voters.join(' ')}]${joint}`;
}

function describeConfChange(cc: ConfChange): string {
  if (cc.changes.length === 0) return 'leaving the joint configuration';
  const parts = cc.changes.map((ch) => `${ch.type} ${ch.node}`).join(', ');
  return cc.transition ? `${parts} (${cc.transition})` : parts;
}

/** One line per seed: seed, ticks, leaders elected, commits, ops checked, result. */
export function formatVerdictLine(r: SimResult): string {
  return `seed ${r.seed}: ticks=${r.ticks} leaders=${r.leadersElected} commits=${r.commits} ops=${r.opsChecked} crashes=${r.crashes} partitions=${r.partitions} -> ${r.verdict === 'ok' ? 'OK' : r.verdict.toUpperCase()}`;
}
