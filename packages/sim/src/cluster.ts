/**
 * @module cluster
 * The mechanics of a simulated cluster, without any policy: nodes, the network between them,
 * the safety checker, and one round of time (deliver due messages, tick every live node, run
 * every pending Ready). Drivers decide what happens: the seeded fault injector (simulator) or a
 * fixed script (demo).
 */
import { Role, type ConfState, type Entry, type Message } from '@meshraft/core';
import { SafetyChecker } from './invariants.js';
import type { ApplyOutcome } from './kv-state-machine.js';
import type { KvOutput } from './linearizability/kv-model.js';
import { Network, type NetworkOptions } from './network.js';
import { Xoshiro128 } from './random.js';
import { SimNode, type CrashPoint, type SimNodeConfig } from './sim-node.js';

/** Settings every node of the cluster shares; documented once, on SimNodeConfig. */
export type NodeSettings = Omit<SimNodeConfig, 'id' | 'voters'>;

export interface ClusterOptions extends NodeSettings {
  /** Every node, founding voters first. */
  readonly ids: readonly string[];
  /** The founding voters (default: all ids); the rest are spares that can join later. */
  readonly voters?: readonly string[];
  readonly network: NetworkOptions;
  /** Randomness for node seeds, Ready order and the network. */
  readonly rng: Xoshiro128;
  readonly trace?: ((line: string) => void) | undefined;
  /** Also trace every delivered message (very verbose; for debugging a seed). */
  readonly traceMessages?: boolean | undefined;
}

function freezeMessage(m: Message): void {
  if ('entries' in m) {
    for (const e of m.entries) Object.freeze(e);
    Object.freeze(m.entries);
  }
  if (m.type === 'snapshot') Object.freeze(m.metadata);
  Object.freeze(m);
}

/** A one-line summary of a message for traces. */
export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} after ${m.index}/t${m.logTerm} +${m.entries.length} commit ${m.commit}`;
    case 'appResp':
      return `${head} ${m.reject ? `reject ${m.index} hint ${m.rejectHint}/t${m.logTerm}` : `ok ${m.index}`}`;
    case 'vote':
    case 'preVote':
      return `${head} last ${m.index}/t${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case 'heartbeat':
      return `${head} commit ${m.commit}`;
    case 'snapshot':
      return `${head} snap ${m.metadata.index}/t${m.metadata.term} bytes ${m.offset}+${m.data.length}/${m.totalSize}${m.done ? ' done' : ''}`;
    case 'snapshotResp':
      return `${head} snap ${m.index} next ${m.offset}${m.reject ? ' rejected' : ''}`;
    default:
      return head;
  }
}

export interface ClusterListener {
  onApplied(node: SimNode, outcome: ApplyOutcome, entry: Entry): void;
  onRead(readId: string, output: KvOutput): void;
}

export class Cluster {
  readonly nodes: SimNode[];
  readonly net: Network<Message>;
  readonly checker = new SafetyChecker();
  /** Current tick and step (every delivery, tick, Ready, crash or restart is one step). */
  now = 0;
  private step = 0;
  /** Terms in which some node was seen leading. */
  readonly leaderTerms = new Set<number>();
  /** Tick at which each node last became leader (as seen at its Ready). */
  readonly leaderSince = new Map<string, number>();
  readonly messageCounts = new Map<string, number>();
  maxApplied = 0;
  crashes = 0;
  private readonly nodeSeeds: Xoshiro128;
  private readonly orderRng: Xoshiro128;
  private listener: ClusterListener | null = null;
  readonly trace: (line: string) => void;
  private readonly traceMessages: boolean;

  constructor(o: ClusterOptions) {
    this.nodeSeeds = o.rng.fork();
    this.orderRng = o.rng.fork();
    this.net = new Network<Message>(o.rng.fork(), o.network);
    const t = o.trace;
    this.traceMessages = o.traceMessages === true && t !== undefined;
    this.trace = t ? (line) => t(`[t${String(this.now).padStart(4, '0')}] ${line}`) : () => {};
    const events = {
      send: (from: string, to: string, m: Message) => {
        // Sender and (possibly duplicated) receivers share the object: any mutation by the core
        // after sending would leak across nodes, so make it throw instead.
        freezeMessage(m);
        this.messageCounts.set(m.type, (this.messageCounts.get(m.type) ?? 0) + 1);
        this.net.send(from, to, m, this.now);
      },
      onApplied: (node: string, outcome: ApplyOutcome, entry: Entry) => {
        if (entry.index > this.maxApplied) this.maxApplied = entry.index;
        this.listener?.onApplied(this.node(node), outcome, entry);
      },
      onRead: (_node: string, readId: string, output: KvOutput) => this.listener?.onRead(readId, output),
      onRole: (node: string, role: string, term: number) => {
        if (role === 'leader') {
          this.leaderTerms.add(term);
          this.leaderSince.set(node, this.now);
        }
        const n = this.node(node);
        const conf = role === 'leader' || role === 'candidate' ? ` (config voters [${n.raw!.raft.trk.confState().voters.join(' ')}] applied ${n.applied} commit ${n.status()!.commit})` : '';
        this.trace(`${node} is ${role} in term ${term}${conf}`);
      },
      onConfChange: (node: string, conf: ConfState, index: number) => this.onConfChange(node, conf, index),
    };
    const { ids, voters = ids, network: _network, rng: _rng, trace: _trace, traceMessages: _traceMessages, ...settings } = o;
    for (const id of voters) this.everMember.add(id);
    this.checker.observeCommittedConf(0, { voters, votersOutgoing: [] });
    this.nodes = ids.map(
      (id) =>
        new SimNode(
          // Spares get the founding voters too: the disk holds the configuration as of its
          // snapshot, and for an empty log that is the founding one, which conf changes build on.
          { ...settings, id, voters },
          this.checker,
          events,
        ),
    );
  }

  /** Highest conf change index applied anywhere, and the configuration it produced. */
  latestConf: { index: number; conf: ConfState } | null = null;
  /** Nodes that were members at some point (a removed node is never re-added: ids are not reused). */
  readonly everMember = new Set<string>();
  confChangesApplied = 0;

  private onConfChange(node: string, conf: ConfState, index: number): void {
    if (this.latestConf !== null && index <= this.latestConf.index) return;
    this.latestConf = { index, conf };
    this.checker.observeCommittedConf(index, conf);
    this.confChangesApplied++;
    for (const id of [...conf.voters, ...conf.learners, ...conf.votersOutgoing, ...conf.learnersNext]) this.everMember.add(id);
    const joint = conf.votersOutgoing.length ? ` outgoing [${conf.votersOutgoing.join(' ')}]${conf.autoLeave ? ' (auto-leave)' : ''}` : '';
    this.trace(`config at index ${index} (first applied by ${node}): voters [${conf.voters.join(' ')}]${joint} learners [${[...conf.learners, ...conf.learnersNext].join(' ')}]`);
  }

  /** Whether `id` is in the latest known configuration (as voter or learner). */
  isMember(id: string): boolean {
    const c = this.latestConf?.conf;
    if (c === undefined) return this.everMember.has(id);
    return [...c.voters, ...c.learners, ...c.votersOutgoing, ...c.learnersNext].includes(id);
  }

  listen(listener: ClusterListener): void {
    this.listener = listener;
  }

  node(id: string): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`unreachable: unknown node ${id}`);
    return n;
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  /** Marks the next step for violation reports. */
  at(): void {
    this.checker.at(++this.step, this.now);
  }

  get steps(): number {
    return this.step;
  }

  startAll(): void {
    for (const n of this.nodes) n.start(this.nodeSeeds.nextUint32());
  }

  /** The live node that believes it leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes) {
      if (n.alive && n.isLeader() && (best === undefined || n.status()!.term > best.status()!.term)) best = n;
    }
    return best;
  }

  crash(n: SimNode, where: string): void {
    if (n.alive) n.crash();
    this.crashes++;
    this.net.discardTo(n.id);
    this.trace(`${n.id} crashes ${where}`);
  }

  restart(n: SimNode): void {
    this.at();
    n.start(this.nodeSeeds.nextUint32());
    const hs = n.disk.initialState().hardState;
    this.trace(`${n.id} restarts from disk (term ${hs.term}, log ${n.disk.firstIndex()}..${n.disk.lastIndex()}, commit ${hs.commit})`);
  }

  private observeLeader(n: SimNode): void {
    const r = n.raw!.raft;
    if (r.role === Role.Leader) this.checker.observeLeader(n.id, r.term);
  }

  /** Delivers every message due now to its (live) destination. */
  deliver(): void {
    for (const env of this.net.deliver(this.now)) {
      const n = this.node(env.to);
      if (!n.alive) continue;
      this.at();
      if (this.traceMessages) this.trace(`  ${describeMessage(env.message)}`);
      const m = env.message;
      if (m.type === 'voteResp' && !m.reject) this.checker.observeVoteGranted(env.to, m.from, m.term);
      n.raw!.step(m);
      this.observeLeader(n);
    }
  }

  /** Ticks every live node, except those `skip` says lose this tick (clock drift). */
  tickNodes(skip?: (n: SimNode) => boolean): void {
    for (const n of this.nodes) {
      if (!n.alive || skip?.(n)) continue;
      this.at();
      n.raw!.tick();
      this.observeLeader(n);
    }
  }

  /**
   * Runs every pending Ready, nodes in a random order; `crashAt` may pick a crash point. A
   * pipelined node first completes the disk writes due by now, then takes every pending Ready
   * without waiting for the writes it starts.
   */
  processReadies(crashAt?: (n: SimNode) => { point: CrashPoint; fraction: number } | undefined): void {
    for (const n of this.orderRng.shuffle(this.nodes)) {
      if (n.pipelined) {
        this.runPipelined(n, crashAt);
        continue;
      }
      while (n.alive && n.raw!.hasReady()) {
        this.at();
        const c = crashAt?.(n);
        if (!n.handleReady(c?.point, c?.fraction)) this.crash(n, `during Ready (${c?.point ?? '?'})`);
      }
    }
  }

  private runPipelined(n: SimNode, crashAt?: (n: SimNode) => { point: CrashPoint; fraction: number } | undefined): void {
    if (!n.alive) return;
    this.at();
    if (!n.pump(this.now)) {
      this.crash(n, `in its pipelined host loop (${n.crashReason})`);
      return;
    }
    while (n.alive && n.canTakeReady()) {
      this.at();
      const c = crashAt?.(n);
      if (!n.takeReady(this.now, c?.point, c?.fraction)) this.crash(n, `in its pipelined host loop (${n.crashReason})`);
    }
  }
}
