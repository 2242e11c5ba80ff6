/**
 * @module cluster
 * The mechanics of a simulated cluster, without any policy: nodes, the network between them,
 * the safety checker, and one round of time (deliver due messages, tick every live node, run
 * every pending Ready). Drivers decide what happens: the seeded fault injector (simulator) or a
 * fixed script (demo).
 */
import type { Entry, Message } from '@meshraft/core';
import { SafetyChecker } from './invariants.js';
import type { ApplyOutcome } from './kv-state-machine.js';
import type { KvOutput } from './linearizability/kv-model.js';
import { Network, type NetworkOptions } from './network.js';
import { Xoshiro128 } from './random.js';
import { SimNode, type CrashPoint, type SimBug } from './sim-node.js';

export interface ClusterOptions {
  readonly ids: readonly string[];
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly sessionTtl: number;
  readonly snapshotEvery: number;
  readonly snapshotChunkSize: number;
  readonly network: NetworkOptions;
  readonly bug?: SimBug | undefined;
  /** Randomness for node seeds, Ready order and the network. */
  readonly rng: Xoshiro128;
  readonly trace?: ((line: string) => void) | undefined;
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
  readonly messageCounts = new Map<string, number>();
  maxApplied = 0;
  crashes = 0;
  private readonly nodeSeeds: Xoshiro128;
  private readonly orderRng: Xoshiro128;
  private listener: ClusterListener | null = null;
  readonly trace: (line: string) => void;

  constructor(o: ClusterOptions) {
    this.nodeSeeds = o.rng.fork();
    this.orderRng = o.rng.fork();
    this.net = new Network<Message>(o.rng.fork(), o.network);
    const t = o.trace;
    this.trace = t ? (line) => t(`[t${String(this.now).padStart(4, '0')}] ${line}`) : () => {};
    const events = {
      send: (from: string, to: string, m: Message) => {
        this.messageCounts.set(m.type, (this.messageCounts.get(m.type) ?? 0) + 1);
        this.net.send(from, to, m, this.now);
      },
      onApplied: (node: string, outcome: ApplyOutcome, entry: Entry) => {
        if (entry.index > this.maxApplied) this.maxApplied = entry.index;
        this.listener?.onApplied(this.node(node), outcome, entry);
      },
      onRead: (_node: string, readId: string, output: KvOutput) => this.listener?.onRead(readId, output),
      onRole: (node: string, role: string, term: number) => {
        if (role === 'leader') this.leaderTerms.add(term);
        this.trace(`${node} is ${role} in term ${term}`);
      },
    };
    this.nodes = o.ids.map(
      (id) =>
        new SimNode(
          {
            id,
            voters: o.ids,
            electionTick: o.electionTick,
            heartbeatTick: o.heartbeatTick,
            sessionTtl: o.sessionTtl,
            snapshotEvery: o.snapshotEvery,
            snapshotChunkSize: o.snapshotChunkSize,
            bug: o.bug,
          },
          this.checker,
          events,
        ),
    );
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

  /** Delivers every message due now to its (live) destination. */
  deliver(): void {
    for (const env of this.net.deliver(this.now)) {
      const n = this.node(env.to);
      if (!n.alive) continue;
      this.at();
      n.raw!.step(env.message);
    }
  }

  /** Ticks every live node, except those `skip` says lose this tick (clock drift). */
  tickNodes(skip?: (n: SimNode) => boolean): void {
    for (const n of this.nodes) {
      if (!n.alive || skip?.(n)) continue;
      this.at();
      n.raw!.tick();
    }
  }

  /** Runs every pending Ready, nodes in a random order; `crashAt` may pick a crash point. */
  processReadies(crashAt?: (n: SimNode) => { point: CrashPoint; fraction: number } | undefined): void {
    for (const n of this.orderRng.shuffle(this.nodes)) {
      while (n.alive && n.raw!.hasReady()) {
        this.at();
        const c = crashAt?.(n);
        if (!n.handleReady(c?.point, c?.fraction)) this.crash(n, `during Ready (${c?.point ?? '?'})`);
      }
    }
  }
}
