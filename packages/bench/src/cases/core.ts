/**
 * `pnpm bench core`: the pure Raft core, three RawNodes with MemoryStorage in one process and an
 * instant network.
 * - Throughput: 100-byte entries; a closed loop keeps N proposals outstanding at the leader and
 *   counts entries the leader applies per second. Median of 5 runs per N.
 * - Catch-up: a follower 100,000 entries behind, caught up by log replay vs by a snapshot (the
 *   modelled state machine is a KV whose writes hit 1,000 keys of 100 bytes, so its snapshot is
 *   100 KB). Time until the follower has applied everything, and payload bytes sent to it.
 * - Memory: heap + ArrayBuffers held by the cluster (3 nodes) before and after every node
 *   compacts 100,000 applied entries into a 100 KB snapshot.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { MemoryStorage, RawNode, seededRandom, type Message, type NodeId } from '@meshraft/core';
import { median, type BenchCase, type BenchResult } from '../bench-case.js';

const IDS: NodeId[] = ['a', 'b', 'c'];
const ENTRY_BYTES = 100;
const RUNS = 5;
const RUN_MS = 600;
const CATCH_UP_ENTRIES = 100_000;
const KV_KEYS = 1000;

interface Member {
  node: RawNode;
  storage: MemoryStorage;
  inbox: Message[];
  applied: number;
}

class Cluster {
  readonly members = new Map<NodeId, Member>();
  /** Nodes whose traffic is dropped (both directions). */
  readonly cut = new Set<NodeId>();
  /** Payload bytes (entry data and snapshot chunks) delivered to each node, when counting. */
  readonly bytesTo = new Map<NodeId, number>();
  countBytes = false;

  constructor() {
    const cs = { voters: IDS, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    IDS.forEach((id, i) => {
      const storage = new MemoryStorage({ confState: cs });
      this.members.set(id, { node: new RawNode({ id, storage, random: seededRandom(i + 1) }), storage, inbox: [], applied: 0 });
      this.bytesTo.set(id, 0);
    });
  }

  get(id: NodeId): Member {
    return this.members.get(id)!;
  }

  /** One pass: every node handles its Ready, then every inbox is drained. */
  pump(): void {
    for (const m of this.members.values()) {
      if (!m.node.hasReady()) continue;
      const rd = m.node.ready();
      if (rd.snapshot !== undefined) {
        m.storage.applySnapshot(rd.snapshot);
        m.applied = rd.snapshot.metadata.index;
      }
      if (rd.entries.length > 0) m.storage.append(rd.entries);
      if (rd.hardState !== undefined) m.storage.setHardState(rd.hardState);
      const n = rd.committedEntries.length;
      if (n > 0) m.applied = rd.committedEntries[n - 1]!.index;
      for (const msg of rd.messages) {
        if (this.cut.has(msg.to) || this.cut.has(msg.from)) continue;
        if (this.countBytes) this.bytesTo.set(msg.to, this.bytesTo.get(msg.to)! + payloadBytes(msg));
        this.members.get(msg.to)?.inbox.push(msg);
      }
      m.node.advance(rd);
    }
    for (const m of this.members.values()) {
      const inbox = m.inbox;
      if (inbox.length === 0) continue;
      m.inbox = [];
      for (const msg of inbox) m.node.step(msg);
    }
  }

  elect(id: NodeId): RawNode {
    const n = this.get(id).node;
    n.campaign();
    for (let i = 0; i < 50; i++) this.pump();
    if (n.status().role !== 'leader') throw new Error('no leader elected');
    return n;
  }
}

function payloadBytes(m: Message): number {
  if (m.type === 'app') {
    let s = 0;
    for (const e of m.entries) s += e.data.length;
    return s;
  }
  return m.type === 'snapshot' ? m.data.length : 0;
}

/** Entries/s with `outstanding` proposals in flight, over about RUN_MS. */
function throughput(outstanding: number): number {
  const c = new Cluster();
  const lead = c.elect('a');
  const leader = c.get('a');
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  let proposed = leader.applied;
  const start = performance.now();
  let now = start;
  let iter = 0;
  const base = leader.applied;
  while (now - start < RUN_MS) {
    while (proposed - leader.applied < outstanding) {
      lead.propose(payload);
      proposed++;
    }
    c.pump();
    if ((++iter & 63) === 0) now = performance.now();
  }
  now = performance.now();
  return (leader.applied - base) / ((now - start) / 1000);
}

/** c misses CATCH_UP_ENTRIES entries; returns ms and payload bytes to catch it up. */
function catchUp(viaSnapshot: boolean): { ms: number; bytes: number } {
  const c = new Cluster();
  const lead = c.elect('a');
  c.cut.add('c');
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  for (let i = 0; i < CATCH_UP_ENTRIES; i++) {
    lead.propose(payload);
    if ((i & 255) === 255) c.pump();
  }
  for (let i = 0; i < 20; i++) c.pump();
  const target = c.get('a').applied;
  if (viaSnapshot) {
    const a = c.get('a');
    const state = new Uint8Array(KV_KEYS * ENTRY_BYTES).fill(7);
    a.storage.createSnapshot(a.applied, a.storage.initialState().confState, state);
    a.storage.compact(a.applied);
  }
  c.cut.delete('c');
  c.countBytes = true;
  const start = performance.now();
  let ticks = 0;
  while (c.get('c').applied < target) {
    // Heartbeats revive the paused probe to c; ticks stand in for the host's timer.
    lead.tick();
    ticks++;
    for (let i = 0; i < 4; i++) c.pump();
    if (ticks > 100_000) throw new Error('catch-up did not finish');
  }
  return { ms: performance.now() - start, bytes: c.bytesTo.get('c')! };
}

/** JS heap plus ArrayBuffer backing stores (entry data and snapshots live there). */
function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Heap held by the cluster with CATCH_UP_ENTRIES applied, before and after the leader compacts. */
function memory(): { before: number; after: number } {
  const gc = collectGarbage();
  const { h1, h2 } = fillAndCompact(gc);
  gc();
  // The cluster is unreachable now: what is left is the baseline.
  const baseline = heldBytes();
  return { before: h1 - baseline, after: h2 - baseline };
}

function fillAndCompact(gc: () => void): { h1: number; h2: number } {
  const c = new Cluster();
  const lead = c.elect('a');
  for (let i = 0; i < CATCH_UP_ENTRIES; i++) {
    lead.propose(new Uint8Array(ENTRY_BYTES).fill(i & 255));
    if ((i & 255) === 255) c.pump();
  }
  for (let i = 0; i < 20; i++) c.pump();
  gc();
  const h1 = heldBytes();
  for (const m of c.members.values()) {
    m.storage.createSnapshot(m.applied, m.storage.initialState().confState, new Uint8Array(KV_KEYS * ENTRY_BYTES));
    m.storage.compact(m.applied);
  }
  c.pump();
  gc();
  const h2 = heldBytes();
  if (c.get('a').storage.firstIndex() < CATCH_UP_ENTRIES) throw new Error('compaction did not happen');
  return { h1, h2 };
}

const coreBench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    for (const outstanding of [1, 16, 256]) {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(throughput(outstanding));
      yield {
        metric: `commits_per_sec_outstanding_${outstanding}`,
        value: Math.round(median(runs)),
        unit: 'entries/s',
        runs: runs.map(Math.round),
        nodes: IDS.length,
        entryBytes: ENTRY_BYTES,
      };
    }
    for (const via of ['log', 'snapshot'] as const) {
      const runs = [catchUp(via === 'snapshot'), catchUp(via === 'snapshot'), catchUp(via === 'snapshot')];
      const entries = CATCH_UP_ENTRIES;
      yield { metric: `catch_up_ms_via_${via}`, value: Math.round(median(runs.map((r) => r.ms)) * 100) / 100, unit: 'ms', entries };
      yield { metric: `catch_up_bytes_via_${via}`, value: median(runs.map((r) => r.bytes)), unit: 'bytes', entries };
    }
    const mem = memory();
    const mib = (b: number): number => Math.round((b / (1 << 20)) * 100) / 100;
    yield { metric: 'heap_before_compaction', value: mib(mem.before), unit: 'MiB', entries: CATCH_UP_ENTRIES, nodes: IDS.length };
    yield { metric: 'heap_after_compaction', value: mib(mem.after), unit: 'MiB', entries: CATCH_UP_ENTRIES, nodes: IDS.length };
  },
};

export default coreBench;
