/**
 * In-process network of RawNodes for tests (like etcd's raft_test.go `network`): each node has a
 * MemoryStorage, Readies are handled synchronously, and messages go through a queue that can
 * drop, cut and isolate. Deterministic: randomness only from seeds.
 */
import { decodeConfChange } from '../conf-change.js';
import { MemoryStorage } from '../memory-storage.js';
import type { Message } from '../messages.js';
import { seededRandom } from '../random.js';
import { RawNode, type Ready } from '../raw-node.js';
import type { ReadState } from '../raft.js';
import type { RaftConfig } from '../config.js';
import { EntryType, type ConfState, type Entry, type NodeId } from '../types.js';

export interface TestNode {
  readonly id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  /** Every normal entry applied, in order. */
  applied: Entry[];
  readStates: ReadState[];
  /** Set to keep this node's Readies unhandled (a stalled disk). */
  paused: boolean;
  /** Indexes of the conf change entries applied. */
  confChanges: number[];
  /** Last index applied (any entry type, or a snapshot). */
  appliedIndex: number;
}

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export function confState(voters: NodeId[], learners: NodeId[] = []): ConfState {
  return { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  queue: Message[] = [];
  /** Messages delivered so far (for assertions). */
  delivered: Message[] = [];
  private readonly cuts = new Set<string>();
  private readonly dropRates = new Map<string, number>();
  readonly rand: () => number;
  private restarts = 0;
  /** Return false to drop a message. */
  filter: ((m: Message) => boolean) | null = null;
  /** Called for every ready a node produces (after persisting). */
  onReady: ((id: NodeId, rd: Ready) => void) | null = null;

  /**
   * `bootstrap`: 'confState' gives founding nodes the membership in storage (index 0);
   * 'snapshot' gives them a snapshot at index 1 carrying it, so nodes added later learn the
   * membership from the leader's snapshot (as the meshraft runtime bootstraps).
   */
  constructor(
    ids: NodeId[],
    readonly opts: NodeOptions = {},
    seed = 1,
    cs: ConfState = confState(ids),
    bootstrap: 'confState' | 'snapshot' = 'confState',
  ) {
    this.rand = seededRandom(seed);
    let i = 0;
    for (const id of ids) {
      const storage =
        bootstrap === 'confState'
          ? new MemoryStorage({ confState: cs })
          : new MemoryStorage({
              snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
              hardState: { term: 1, vote: null, commit: 1 },
            });
      const t = this.addNode(id, storage, seed * 1000 + i++, bootstrap === 'snapshot' ? { applied: 1 } : {});
      if (bootstrap === 'snapshot') t.appliedIndex = 1;
    }
  }

  addNode(id: NodeId, storage: MemoryStorage, seed: number, extra: NodeOptions = {}): TestNode {
    const node = new RawNode({ id, storage, random: seededRandom(seed), ...this.opts, ...extra });
    const t: TestNode = { id, node, storage, applied: [], readStates: [], paused: false, confChanges: [], appliedIndex: 0 };
    this.nodes.set(id, t);
    return t;
  }

  /** A new, empty node that will learn the log (and its membership) from the leader. */
  join(id: NodeId, seed = 99): TestNode {
    return this.addNode(id, new MemoryStorage(), seed);
  }

  /** Simulates a crash and restart: a new RawNode over the same storage. */
  restart(id: NodeId, extra: NodeOptions = {}): TestNode {
    const old = this.get(id);
    this.queue = this.queue.filter((m) => m.to !== id);
    const t = this.addNode(id, old.storage, 7000 + ++this.restarts * 31 + id.charCodeAt(0), { applied: old.appliedIndex, ...extra });
    t.applied = old.applied;
    t.appliedIndex = old.appliedIndex;
    return t;
  }

  get(id: NodeId): TestNode {
    const t = this.nodes.get(id);
    if (t === undefined) throw new Error(`no node ${id}`);
    return t;
  }

  node(id: NodeId): RawNode {
    return this.get(id).node;
  }

  /** Handles one Ready of `id` the way a host would. Returns whether there was one. */
  handleReady(id: NodeId): boolean {
    const t = this.get(id);
    if (t.paused || !t.node.hasReady()) return false;
    const rd = t.node.ready();
    if (rd.snapshot !== undefined) t.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) t.storage.append(rd.entries);
    if (rd.hardState !== undefined) t.storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined) {
      // The state machine is the list of applied strings (see compact()).
      t.appliedIndex = rd.snapshot.metadata.index;
      const d = rd.snapshot.data;
      t.applied = d.length === 0 ? [] : (JSON.parse(dec(d)) as string[]).map((x) => ({ term: 0, index: 0, type: EntryType.Normal, data: enc(x) }));
    }
    for (const e of rd.committedEntries) {
      t.appliedIndex = e.index;
      if (e.type === EntryType.Normal && e.data.length > 0) t.applied.push(e);
      if (e.type === EntryType.ConfChange) {
        // The host applies the change and persists the resulting configuration.
        t.storage.setConfState(t.node.applyConfChange(decodeConfChange(e.data)));
        t.confChanges.push(e.index);
      }
    }
    t.readStates.push(...rd.readStates);
    this.onReady?.(id, rd);
    this.queue.push(...rd.messages);
    t.node.advance(rd);
    return true;
  }

  /** Host-side compaction: snapshot the state machine at the applied index and drop the log before it. */
  compact(id: NodeId): number {
    const t = this.get(id);
    const index = t.appliedIndex;
    const data = enc(JSON.stringify(this.appliedData(id)));
    t.storage.createSnapshot(index, t.storage.initialState().confState, data);
    t.storage.compact(index);
    return index;
  }

  private key(from: NodeId, to: NodeId): string {
    return `${from}->${to}`;
  }

  private passes(m: Message): boolean {
    if (!this.nodes.has(m.to)) return false;
    if (this.cuts.has(this.key(m.from, m.to))) return false;
    const rate = this.dropRates.get(this.key(m.from, m.to));
    if (rate !== undefined && this.rand() < rate) return false;
    return this.filter === null || this.filter(m);
  }

  /** Shuffle each delivery batch and duplicate this fraction of messages (chaos tests). */
  reorder = false;
  duplicateRate = 0;

  /** Delivers every queued message once (messages they cause are queued for later). */
  deliverAll(): number {
    const q = this.queue;
    this.queue = [];
    if (this.duplicateRate > 0) {
      const n = q.length;
      for (let i = 0; i < n; i++) if (this.rand() < this.duplicateRate) q.push(q[i]!);
    }
    if (this.reorder) {
      for (let i = q.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [q[i], q[j]] = [q[j]!, q[i]!];
      }
    }
    let n = 0;
    for (const m of q) {
      if (!this.passes(m)) continue;
      const t = this.get(m.to);
      this.delivered.push(m);
      t.node.step(m);
      n++;
    }
    return n;
  }

  /** Handles readies and delivers messages until the cluster is quiet. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      let busy = false;
      for (const id of this.nodes.keys()) if (this.handleReady(id)) busy = true;
      if (this.queue.length > 0) {
        this.deliverAll();
        busy = true;
      }
      if (!busy) return;
    }
    throw new Error('network did not stabilize');
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.get(id).node.tick();
  }

  /** Ticks every node `n` times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const t of this.nodes.values()) t.node.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and lets the election finish. */
  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  leader(): NodeId | null {
    let lead: NodeId | null = null;
    for (const t of this.nodes.values()) {
      const s = t.node.status();
      if (s.role === 'leader') {
        if (lead !== null && this.node(lead).status().term === s.term) throw new Error('two leaders in one term');
        if (lead === null || s.term > this.node(lead).status().term) lead = t.id;
      }
    }
    return lead;
  }

  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(this.key(a, b));
    this.cuts.add(this.key(b, a));
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  drop(from: NodeId, to: NodeId, rate: number): void {
    this.dropRates.set(this.key(from, to), rate);
  }

  recover(): void {
    this.cuts.clear();
    this.dropRates.clear();
    this.filter = null;
  }

  /** Data of the applied normal entries of `id`, as strings. */
  appliedData(id: NodeId): string[] {
    return this.get(id).applied.map((e) => dec(e.data));
  }
}
