/**
 * A cluster of runtime nodes over the memory network, with short real timers (10 ms ticks) so a
 * test takes a fraction of a second yet tolerates a loaded machine: waits are generous, and no
 * test asserts on how long anything took.
 */
import { seededRandom, type NodeId } from '@meshraft/core';
import { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from '@meshraft/transport';
import { createCounterStateMachine, type CounterCommand, type CounterQuery, type CounterResult, type CounterState } from '../../kv/index.js';
import { createNode } from '../create-node.js';
import type { MeshraftNode } from '../meshraft-node.js';
import type { CreateNodeOptions } from '../options.js';
import { reopenableStorage, type ReopenableStorage } from './reopenable-storage.js';

export type CounterNode = MeshraftNode<CounterCommand, CounterResult, CounterQuery, CounterState>;

export const FAST_TIMING = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 };

export interface TestCluster {
  readonly net: MemoryNetwork;
  readonly nodes: Map<NodeId, CounterNode>;
  readonly disks: Map<NodeId, ReopenableStorage>;
  start(id: NodeId, extra?: Partial<CreateNodeOptions<CounterCommand, CounterResult, CounterQuery, CounterState>>): Promise<CounterNode>;
  node(id: NodeId): CounterNode;
  leader(): Promise<CounterNode>;
  stopAll(): Promise<void>;
}

export function testCluster(seed = 1, network: MemoryNetworkOptions = {}): TestCluster {
  const net = createMemoryNetwork(network);
  const nodes = new Map<NodeId, CounterNode>();
  const disks = new Map<NodeId, ReopenableStorage>();
  let n = 0;
  const c: TestCluster = {
    net,
    nodes,
    disks,
    async start(id, extra = {}) {
      let disk = disks.get(id);
      if (!disk) disks.set(id, (disk = reopenableStorage()));
      const node = await createNode({
        cluster: 'test',
        storage: disk.open(),
        transport: (nid) => net.transport(nid),
        stateMachine: createCounterStateMachine(),
        id,
        timing: FAST_TIMING,
        random: seededRandom(seed * 1000 + ++n),
        timeoutMs: 20_000,
        ...extra,
      });
      nodes.set(id, node);
      return node;
    },
    node(id) {
      const node = nodes.get(id);
      if (!node) throw new Error(`no node ${id}`);
      return node;
    },
    async leader() {
      return waitFor(() => {
        const live = [...nodes.values()].filter((x) => !x.status().stopped);
        return live.find((x) => x.status().role === 'leader' && live.every((y) => y.status().leader === x.id));
      }, 'a leader all live nodes agree on');
    },
    async stopAll() {
      await Promise.all([...nodes.values()].map((x) => x.stop()));
    },
  };
  return c;
}

/** Polls `probe` until it returns a value (not undefined/false); generous deadline for slow CI. */
export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
