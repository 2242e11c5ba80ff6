/**
 * `pnpm bench runtime`: the meshraft node runtime end to end (createNode: Ready loop, memory
 * storage, msgpack envelopes over the in-process memory network, counter state machine).
 * Three voters; ticks of 10 ms so elections are quick. Each figure is the median of 5 runs:
 * - propose latency at the leader and from a follower (sequential, 200 proposals per run);
 * - pipelined throughput (N concurrent proposals from the leader, commands/s);
 * - linearizable read latency from a follower;
 * - failover: leader stopped → first proposal committed through a follower;
 * - propose latency at the leader when every save takes 5 ms (a disk with that fsync latency).
 */
import { seededRandom } from '@meshraft/core';

import { createMemoryNetwork } from '@meshraft/transport';
import { median, percentile, timeEach, type BenchCase, type BenchResult } from '../bench-case.js';
// The bench package depends on neither `meshraft` nor @meshraft/storage; reach their sources directly.
import { createMemoryStorage } from '@meshraft/storage';
import { createCounterStateMachine } from 'meshraft/kv';
import { createNode, type MeshraftNode } from 'meshraft';

const IDS = ['a', 'b', 'c'];
const RUNS = 5;
const SEQ = 200;
type Node = MeshraftNode<{ type: 'add'; delta: number }, unknown, { type: 'get' }, unknown>;

/** Memory storage whose saves take `ms` (a disk with that fsync latency). */
function slowStorage(ms: number): ReturnType<typeof createMemoryStorage> {
  const inner = createMemoryStorage();
  const s = Object.create(inner) as ReturnType<typeof createMemoryStorage>;
  s.save = async (u) => {
    await new Promise((r) => setTimeout(r, ms));
    await inner.save(u);
  };
  return s;
}

async function cluster(run: number, saveMs = 0): Promise<Node[]> {
  const net = createMemoryNetwork();
  const nodes: Node[] = [];
  for (const [i, id] of IDS.entries()) {
    nodes.push(
      (await createNode({
        cluster: 'bench',
        id,
        storage: saveMs > 0 ? slowStorage(saveMs) : createMemoryStorage(),
        transport: net.transport(id),
        stateMachine: createCounterStateMachine(),
        bootstrap: { voters: IDS },
        timing: { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 },
        random: seededRandom(run * 10 + i),
        snapshotEntries: 5000,
      })) as unknown as Node,
    );
  }
  return nodes;
}

async function leaderOf(nodes: Node[]): Promise<Node> {
  for (;;) {
    const l = nodes.find((n) => !n.status().stopped && n.status().role === 'leader');
    if (l && nodes.every((n) => n.status().stopped || n.status().leader === l.id)) return l;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const bench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const m: Record<string, number[]> = {};
    const add = (k: string, v: number): void => void (m[k] ??= []).push(v);
    for (let run = 0; run < RUNS; run++) {
      const nodes = await cluster(run);
      const leader = await leaderOf(nodes);
      const follower = nodes.find((n) => n !== leader)!;
      const cmd = { type: 'add', delta: 1 } as const;
      const lat = await timeEach(SEQ, () => leader.propose(cmd));
      add('propose_leader_p50', median(lat));
      add('propose_leader_p99', percentile(lat, 99));
      const flat = await timeEach(SEQ, () => follower.propose(cmd));
      add('propose_follower_p50', median(flat));
      add('propose_follower_p99', percentile(flat, 99));
      for (const n of [100, 1000]) {
        const t = performance.now();
        await Promise.all(Array.from({ length: n }, () => leader.propose(cmd)));
        add(`throughput_pipelined_${n}`, n / ((performance.now() - t) / 1000));
      }
      add('read_linearizable_follower_p50', median(await timeEach(SEQ, () => follower.read({ type: 'get' }))));
      const slow = await cluster(run, 5);
      const slowLeader = await leaderOf(slow);
      add('propose_leader_5ms_disk_p50', median(await timeEach(50, () => slowLeader.propose(cmd))));
      await Promise.all(slow.map((n) => n.stop()));
      const t = performance.now();
      await leader.stop();
      await follower.propose(cmd);
      add('failover_ms', performance.now() - t);
      await Promise.all(nodes.map((n) => n.stop()));
    }
    for (const [metric, values] of Object.entries(m)) {
      const throughput = metric.startsWith('throughput');
      yield { metric, value: Math.round(median(values) * 100) / 100, unit: throughput ? 'ops/s' : 'ms', runs: RUNS };
    }
  },
};

export default bench;
