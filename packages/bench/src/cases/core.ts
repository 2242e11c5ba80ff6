/**
 * `pnpm bench core`: throughput of the pure Raft core. Three RawNodes with MemoryStorage in one
 * process and an instant network; 100-byte entries; a closed loop keeps N proposals outstanding
 * at the leader and counts entries the leader applies per second. Median of 5 runs per N.
 */
import { MemoryStorage, RawNode, seededRandom, type Message, type NodeId } from '@meshraft/core';
import { median, type BenchCase, type BenchResult } from '../bench-case.js';

const IDS: NodeId[] = ['a', 'b', 'c'];
const ENTRY_BYTES = 100;
const RUNS = 5;
const RUN_MS = 600;

interface Member {
  node: RawNode;
  storage: MemoryStorage;
  inbox: Message[];
}

function makeCluster(): Map<NodeId, Member> {
  const cs = { voters: IDS, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const members = new Map<NodeId, Member>();
  IDS.forEach((id, i) => {
    const storage = new MemoryStorage({ confState: cs });
    members.set(id, { node: new RawNode({ id, storage, random: seededRandom(i + 1) }), storage, inbox: [] });
  });
  return members;
}

/** One pass: every node handles its Ready, then every inbox is drained. Returns entries applied by `leader`. */
function pump(members: Map<NodeId, Member>, leader: NodeId): number {
  let applied = 0;
  for (const [id, m] of members) {
    if (!m.node.hasReady()) continue;
    const rd = m.node.ready();
    if (rd.entries.length > 0) m.storage.append(rd.entries);
    if (rd.hardState !== undefined) m.storage.setHardState(rd.hardState);
    if (id === leader) applied += rd.committedEntries.length;
    for (const msg of rd.messages) members.get(msg.to)?.inbox.push(msg);
    m.node.advance(rd);
  }
  for (const m of members.values()) {
    const inbox = m.inbox;
    if (inbox.length === 0) continue;
    m.inbox = [];
    for (const msg of inbox) m.node.step(msg);
  }
  return applied;
}

function electLeader(members: Map<NodeId, Member>): NodeId {
  members.get('a')!.node.campaign();
  for (let i = 0; i < 50; i++) pump(members, 'a');
  if (members.get('a')!.node.status().role !== 'leader') throw new Error('no leader elected');
  return 'a';
}

/** Entries/s with `outstanding` proposals in flight, over about RUN_MS. */
function runOnce(outstanding: number): number {
  const members = makeCluster();
  const leader = electLeader(members);
  const lead = members.get(leader)!.node;
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  let proposed = 0;
  let committed = 0;
  // Warm-up so the leader's followers are in replicate state.
  const start = performance.now();
  let now = start;
  let iter = 0;
  while (now - start < RUN_MS) {
    while (proposed - committed < outstanding) {
      lead.propose(payload);
      proposed++;
    }
    committed += pump(members, leader);
    if ((++iter & 63) === 0) now = performance.now();
  }
  now = performance.now();
  return committed / ((now - start) / 1000);
}

const coreBench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    for (const outstanding of [1, 16, 256]) {
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(runOnce(outstanding));
      yield {
        metric: `commits_per_sec_outstanding_${outstanding}`,
        value: Math.round(median(runs)),
        unit: 'entries/s',
        runs: runs.map(Math.round),
        nodes: IDS.length,
        entryBytes: ENTRY_BYTES,
      };
    }
  },
};

export default coreBench;
