/**
 * @module runtime/runtime-simulator
 * One seeded run of real MeshraftNodes (`pnpm sim --host runtime --seed N`). Every source of
 * time and chance is the simulator's: the virtual clock drives every runtime timer, and between
 * two events the simulator waits one macrotask (setImmediate), which drains every promise
 * continuation the runtime queued, so a seed replays byte for byte (the trace hash says so).
 *
 * Fault phase: crashes between events and at the host loop's await points (while a write is in
 * flight, or right after it landed, before the host continued), restarts from what was durable,
 * partitions (symmetric, isolating, one-way), a lossy, duplicating, reordering network, nodes
 * joining, leaving and being replaced by the membership policy, leader transfers, and clients
 * retrying through other members. Then everything heals and a write must commit in time.
 */
import {
  checkOperations,
  formatExplanation,
  formatViolation,
  kvModel,
  Network,
  NETWORK_PROFILES,
  Xoshiro128,
  type CheckResult,
  type KvOperation,
  type NetworkOptions,
  type SimVerdict,
  type WorkloadOptions,
} from '@meshraft/sim';
import type { RuntimeBug } from './runtime-bugs.js';
import { RuntimeChurn } from './runtime-churn.js';
import { RuntimeClients, type RuntimeClientStats } from './runtime-clients.js';
import { RuntimeCluster, type ClusterStats } from './runtime-cluster.js';
import { DEFAULT_LEASE_OPTIONS, RuntimeLeases, type RuntimeLeaseStats } from './runtime-leases.js';
import type { InFlightWrite } from './sim-storage.js';
import { VirtualClock } from './virtual-clock.js';

export interface RuntimeSimOptions {
  readonly seed: number;
  /** Virtual milliseconds of the fault phase. */
  readonly faultMs: number;
  /** After healing: milliseconds allowed for a write to commit. */
  readonly livenessMs: number;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Snapshot every this many applied entries; undefined: 20 or the default 10,000, by the seed. */
  readonly snapshotEntries: number | undefined;
  readonly maxWriteMs: number;
  /** Founder plus this many joiners at the start (the policy keeps 3 voters). */
  readonly joiners: number;
  readonly maxNodes: number;
  readonly workload: WorkloadOptions;
  readonly bug: RuntimeBug | undefined;
  readonly maxCheckSteps: number;
  /** Per fault step (or per write) chances; defaults RUNTIME_FAULT_RATES. */
  readonly rates?: Partial<RuntimeFaultRates>;
  readonly trace?: (line: string) => void;
}

export const DEFAULT_RUNTIME_OPTIONS: Omit<RuntimeSimOptions, 'seed'> = {
  faultMs: 3000,
  livenessMs: 4000,
  tickMs: 10,
  electionTicks: 10,
  snapshotEntries: undefined,
  maxWriteMs: 6,
  joiners: 3,
  maxNodes: 5,
  workload: { clients: 4, keys: 3, opRate: 0.15, timeout: 0, retryRate: 0.7, maxAttempts: 3, readIndexRate: 0 },
  bug: undefined,
  maxCheckSteps: 2_000_000,
};

export const RUNTIME_FAULT_RATES = {
  crash: 0.006,
  /** Per write: crash while it is in flight, or right after it lands. */
  writeCrash: 0.002,
  restart: 0.04,
  partition: 0.012,
  heal: 0.03,
  transfer: 0.006,
  leave: 0.002,
  /** A member departs (pagehide) and its page closes a moment later (runtime-churn). */
  depart: 0.003,
  join: 0.01,
  /** A node's timers (the leader's, half the time) run 8x late for 200-800 ms (a background tab). */
  throttle: 0.006,
  /** A node (the leader, half the time) is paused for 150-600 ms (SIGSTOP/SIGCONT). */
  pause: 0.006,
};

export type RuntimeFaultRates = { -readonly [K in keyof typeof RUNTIME_FAULT_RATES]: number };

export interface RuntimeSimResult {
  readonly seed: number;
  readonly verdict: SimVerdict;
  readonly detail: string;
  /** sha256 over the trace, every frame sent and every entry applied. */
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly events: number;
  readonly snapshotEntries: number;
  readonly commits: number;
  readonly partitions: number;
  readonly transfers: number;
  readonly leaves: number;
  /** Departures (pagehide, then the page closes; runtime-churn). */
  readonly departures: number;
  /** This seed ran a departure sequence (runtime-churn), and how many of its checks completed. */
  readonly churnSequence: boolean;
  readonly churnChecks: number;
  readonly throttles: number;
  readonly livenessMs: number | null;
  readonly cluster: ClusterStats;
  readonly clients: RuntimeClientStats;
  readonly leases: RuntimeLeaseStats;
  readonly messages: Readonly<Record<string, number>>;
  readonly linearizability: CheckResult | null;
  readonly history: readonly KvOperation[];
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function scaled(p: NetworkOptions, ms: number): NetworkOptions {
  return { ...p, minDelay: p.minDelay * ms, maxDelay: p.maxDelay * ms, reorderDelay: p.reorderDelay * ms };
}

export async function simulateRuntime(partial: Partial<RuntimeSimOptions> & { seed: number }): Promise<RuntimeSimResult> {
  const o: RuntimeSimOptions = { ...DEFAULT_RUNTIME_OPTIONS, ...partial };
  let rates: RuntimeFaultRates = { ...RUNTIME_FAULT_RATES, ...o.rates };
  const root = new Xoshiro128(o.seed);
  const faults = root.fork();
  const scenario = root.fork();
  const profile = scaled(scenario.pick(NETWORK_PROFILES), o.tickMs / 2);
  const snapshotEntries = o.snapshotEntries ?? (scenario.chance(0.5) ? 20 : 10_000);
  const clock = new VirtualClock();
  const net = new Network<Uint8Array>(root.fork(), profile);
  let healed = false;
  const timeoutMs = 4 * o.tickMs * o.electionTicks;
  const leases = new RuntimeLeases(root.fork(), { ...DEFAULT_LEASE_OPTIONS, electionTimeoutMs: o.tickMs * o.electionTicks, proposeTimeoutMs: timeoutMs, bug: o.bug });
  const cluster: RuntimeCluster = new RuntimeCluster({
    clock,
    net,
    rng: root.fork(),
    tickMs: o.tickMs,
    electionTicks: o.electionTicks,
    snapshotEntries,
    graceMs: 6 * o.tickMs * o.electionTicks,
    ephemeral: (id) => churn.ephemeral(id),
    maxWriteMs: o.maxWriteMs,
    bug: o.bug,
    onWrite: (id, w) => {
      if (!healed) planWriteCrash(id, w);
    },
    trace: o.trace,
    leases,
  });
  const clients = new RuntimeClients(root.fork(), { ...o.workload, timeoutMs }, cluster, clock);
  let nextId = 1;
  const churn = new RuntimeChurn({
    rng: root.fork(),
    cluster,
    clock,
    electionMs: o.tickMs * o.electionTicks,
    faultMs: o.faultMs,
    departRate: rates.depart,
    freshId: () => `n${++nextId}`,
    durableId: 'n1',
  });
  rates = churn.rates(rates);
  // A sequence's links lose nothing (WebRTC data channels and the relay are reliable), so a
  // departure is heard; delays, reordering and copies stay.
  if (churn.sequence) net.setOptions({ ...profile, dropRate: 0 });
  let partitions = 0;
  let transfers = 0;
  let leaves = 0;
  let throttles = 0;
  let healedAt: number | null = null;
  let liveAt: number | null = null;
  let probing = false;
  let probes = 0;
  let exception: string | null = null;

  function planWriteCrash(id: string, w: InFlightWrite): void {
    if (!faults.chance(rates.writeCrash)) return;
    if (faults.chance(0.5)) w.crashOnLanding = true;
    else {
      const at = faults.range(w.issuedAt, w.doneAt);
      clock.at(at, 'sim', () => {
        if (!healed) cluster.crash(id, `while a ${w.kind} write was in flight`, `during-${w.kind}`);
      });
    }
  }

  const members = (): string[] => cluster.live().map((s) => s.id);
  const leader = () => {
    let best: { id: string; term: number } | undefined;
    for (const s of cluster.live()) {
      const st = s.inc!.node!.status();
      if (st.role === 'leader' && (best === undefined || st.term > best.term)) best = { id: s.id, term: st.term };
    }
    return best === undefined ? undefined : cluster.node(best.id);
  };

  function faultStep(): void {
    const r = faults;
    const live = members();
    if (r.chance(rates.crash) && live.length > 0) cluster.crash(r.pick(live), 'between events', 'between-events');
    for (const s of cluster.slots.values()) if (!s.gone && s.inc === undefined && r.chance(rates.restart)) cluster.start(s);
    if (r.chance(rates.partition) && live.length > 1) {
      net.heal();
      partitions++;
      const ids = [...cluster.slots.keys()];
      const kind = r.int(3);
      // Isolating the leader half the time: where leases and stale leaders matter.
      if (kind === 0) net.isolate(r.chance(0.5) ? (leader()?.id ?? r.pick(ids)) : r.pick(ids), ids);
      else if (kind === 1) {
        const sh = r.shuffle(ids);
        const cut = 1 + r.int(ids.length - 1);
        net.partition([sh.slice(0, cut), sh.slice(cut)]);
      } else {
        const a = r.pick(ids);
        for (const b of ids) if (b !== a && r.chance(0.5)) net.cut(a, b);
      }
      cluster.line(`partition: cut ${net.describeCuts() || 'nothing'}`);
      cluster.network.refresh();
    } else if (net.partitioned && r.chance(rates.heal)) {
      net.heal();
      cluster.line('partition healed');
      cluster.network.refresh();
    }
    if (r.chance(rates.transfer)) {
      const l = leader();
      const voters = l === undefined || cluster.pausedUntil(l.id) !== undefined ? [] : l.status().members.filter((m) => m.role === 'voter' && m.id !== l.id).map((m) => m.id) ?? [];
      if (l !== undefined && voters.length > 0) {
        const to = r.pick(voters);
        transfers++;
        cluster.line(`transfer: ${l.id} asked to hand leadership to ${to}`);
        l.transferLeadership(to, { timeoutMs: 4 * o.tickMs * o.electionTicks }).catch(() => {});
      }
    }
    const up = members();
    if (r.chance(rates.throttle) && up.length > 0) {
      const target = r.chance(0.5) ? leader()?.id : undefined;
      const slot = cluster.slots.get(target ?? r.pick(up))!;
      const ms = r.range(200, 800);
      throttles++;
      clock.throttle(slot.inc!.owner, 8, clock.now + ms);
      cluster.line(`${slot.id}'s timers run 8x late for ${ms} ms (a background tab)`);
    }
    if (r.chance(rates.pause) && up.length > 0) {
      const l = r.chance(0.5) ? leader() : undefined;
      cluster.pause(l?.id ?? r.pick(up), r.range(150, 600));
    }
    if (r.chance(rates.leave) && up.length > 0) maybeLeave(r.pick(up));
    churn.step();
    const alive = [...cluster.slots.values()].filter((s) => !s.gone && !s.removed).length;
    if (alive < o.maxNodes && r.chance(rates.join)) cluster.add(`n${++nextId}`, false);
  }

  /**
   * An operator's leave: only of a node that knows it is a member, and only while every voter
   * is up, so the cluster keeps a quorum (leaving a 3-voter cluster with one voter down would
   * leave 2 voters, one of them down: unavailable by design, not a finding).
   */
  function maybeLeave(id: string): void {
    const slot = cluster.slots.get(id);
    const inc = slot?.inc;
    const node = inc?.node;
    if (slot === undefined || inc === undefined || node === undefined || slot.removed || cluster.pausedUntil(id) !== undefined) return;
    const st = node.status();
    if (!st.members.some((m) => m.id === id)) return;
    const voters = st.members.filter((m) => m.role === 'voter').map((m) => m.id);
    if (voters.length < 3 || voters.some((v) => cluster.node(v) === undefined)) return;
    leaves++;
    cluster.line(`${id} leaves the cluster`);
    node.leave({ timeoutMs: 4 * o.tickMs * o.electionTicks }).then(
      () => cluster.retire(slot, inc),
      () => cluster.line(`${id} could not leave in time`),
    );
  }

  function heal(): void {
    healed = true;
    healedAt = clock.now;
    net.heal();
    net.setOptions({ minDelay: 1, maxDelay: o.tickMs / 2, dropRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelay: 0 });
    for (const s of cluster.slots.values()) {
      for (const w of s.disk.inFlight) w.crashOnLanding = false; // no crash planned before healing strikes after it
      if (!s.gone && s.inc === undefined) cluster.start(s);
    }
    cluster.network.refresh();
    clients.stop();
    leases.stop();
    cluster.line('all faults healed: every node up, network clean');
  }

  /** After healing: a write through some member must commit. */
  function probe(): void {
    if (liveAt !== null || probing) return;
    const live = members();
    if (live.length === 0) return;
    const node = cluster.node(live[faults.int(live.length)]!)!;
    probing = true;
    const attempt = ++probes;
    // A probe whose node went down never settles: try again after the timeout.
    clock.at(clock.now + 4 * o.tickMs * o.electionTicks + 100, 'sim', () => {
      if (probes === attempt) probing = false;
    });
    node.propose({ type: 'put', key: new TextEncoder().encode('live'), value: new TextEncoder().encode(`probe@${clock.now}`) }, { timeoutMs: 4 * o.tickMs * o.electionTicks }).then(
      () => {
        liveAt ??= clock.now;
        probing = false;
        cluster.line(`liveness: a write committed through ${node.id}`);
      },
      () => {
        probing = false;
      },
    );
  }

  cluster.add(`n${nextId}`, true);
  for (let i = 0; i < o.joiners; i++) cluster.add(`n${++nextId}`, false);
  clock.at(o.tickMs, 'sim', () => {
    if (healedAt === null) {
      faultStep();
      clients.step();
      leases.step(cluster, clock.now);
    } else probe();
  }, o.tickMs);
  clock.at(o.faultMs, 'sim', heal);
  churn.plan();
  const end = o.faultMs + o.livenessMs;
  let events = 0;
  try {
    outer: for (;;) {
      const tc = clock.nextAt();
      const tn = net.nextDeliveryAt();
      const t = tc === undefined ? tn : tn === undefined ? tc : Math.min(tc, tn);
      if (t === undefined || t > end) break;
      clock.advanceTo(t);
      for (const e of cluster.network.due()) {
        cluster.checker.at(++events, clock.now);
        cluster.network.deliver(e);
        await macrotask();
      }
      for (let fn = clock.takeDue(); fn !== undefined; fn = clock.takeDue()) {
        cluster.checker.at(++events, clock.now);
        fn();
        await macrotask();
        if (!cluster.checker.ok) break outer;
      }
      if (!cluster.checker.ok || cluster.stats.fatalErrors.length > 0) break;
      if (liveAt !== null && clients.idle && leases.settled(cluster)) break;
    }
  } catch (e) {
    exception = `seed ${o.seed} event ${events} at ${clock.now}ms: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  // Stop everything still running: the loop no longer drives them; nothing is awaited.
  // Healed and live, the run went on until every lease expired or time ran out: which was it?
  if (exception === null && cluster.checker.ok && liveAt !== null && healedAt !== null) leases.checkExpired(cluster, healedAt, clock.now);
  for (const s of cluster.live()) clock.kill(s.inc!.owner);

  const history = clients.history();
  const violations = cluster.checker.violations;
  let verdict: SimVerdict = 'ok';
  let detail = '';
  let lin: CheckResult | null = null;
  if (exception !== null || cluster.stats.fatalErrors.length > 0) {
    verdict = 'exception';
    detail = exception ?? cluster.stats.fatalErrors.join('\n');
  } else if (violations.length > 0) {
    verdict = 'violation';
    detail = violations.slice(0, 5).map((v) => formatViolation(v, o.seed)).join('\n');
  } else if (churn.failures.length > 0) {
    verdict = 'violation';
    detail = `seed ${o.seed}: churn: ${churn.failures.join('; ')}`;
  } else {
    lin = checkOperations(kvModel, history, { maxSteps: o.maxCheckSteps });
    if (lin.verdict === 'illegal') {
      verdict = 'not-linearizable';
      detail = formatExplanation(lin.explanation!);
    } else if (lin.verdict === 'unknown') {
      verdict = 'check-unknown';
      detail = `linearizability check gave up after ${lin.steps} steps`;
    } else if (liveAt === null) {
      verdict = 'no-liveness';
      const roles = cluster.live().map((s) => {
        const st = s.inc!.node!.status();
        const voters = st.members.filter((m) => m.role === 'voter').map((m) => m.id);
        const learners = st.members.filter((m) => m.role === 'learner').map((m) => m.id);
        return `${s.id}:${st.role}@${st.term} commit ${st.commit} applied ${st.applied} voters [${voters.join(' ')}]${st.joint ? ' (joint)' : ''} learners [${learners.join(' ')}]`;
      });
      detail = `no write committed within ${o.livenessMs} ms after healing:\n${roles.join('\n')}`;
    }
  }
  cluster.line(`verdict ${verdict}`);
  return {
    seed: o.seed,
    verdict,
    detail,
    traceHash: cluster.digest(),
    virtualMs: clock.now,
    events,
    snapshotEntries,
    commits: cluster.highestApplied,
    partitions,
    transfers,
    leaves,
    departures: churn.departures,
    churnSequence: churn.sequence,
    churnChecks: churn.completed,
    throttles,
    livenessMs: liveAt !== null && healedAt !== null ? liveAt - healedAt : null,
    cluster: cluster.stats,
    clients: clients.stats,
    leases: leases.stats,
    messages: Object.fromEntries([...cluster.messageCounts].sort()),
    linearizability: lin,
    history,
  };
}

export function formatRuntimeVerdictLine(r: RuntimeSimResult): string {
  const c = r.cluster;
  return `seed ${r.seed}: runtime ms=${r.virtualMs} leaders=${c.leadersElected} commits=${r.commits} ops=${r.history.length} crashes=${c.crashes} restarts=${c.restarts} partitions=${r.partitions} compactions=${c.compactions} -> ${r.verdict === 'ok' ? 'OK' : r.verdict.toUpperCase()}`;
}
