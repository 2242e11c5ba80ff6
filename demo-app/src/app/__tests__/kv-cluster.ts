/**
 * Three meshraft nodes running the KV state machine over the memory network (10 ms ticks), each
 * with a Board on top: the board's consensus behaviour tested without a browser.
 */
import { createNode, type MeshraftNode } from 'meshraft';
import { createKvStateMachine, type KvCommand, type KvQuery, type KvQueryResult, type KvResult, type KvStateMachine } from 'meshraft/kv';
import { createMemoryStorage } from '@meshraft/storage';
import { createMemoryNetwork, type MemoryNetwork } from '@meshraft/transport';
import { Board } from '../board.js';

export type KvNode = MeshraftNode<KvCommand, KvResult, KvQuery, KvQueryResult>;

export interface Member {
  readonly node: KvNode;
  readonly sm: KvStateMachine;
  readonly board: Board;
}

export interface KvCluster {
  readonly net: MemoryNetwork;
  readonly members: readonly Member[];
  stop(): Promise<void>;
}

let idSeq = 0;

export async function kvCluster(ids: readonly string[] = ['a', 'b', 'c']): Promise<KvCluster> {
  const net = createMemoryNetwork();
  const members = await Promise.all(
    ids.map(async (id) => {
      const sm = createKvStateMachine();
      const node: KvNode = await createNode({
        cluster: 'board-test',
        id,
        storage: createMemoryStorage(),
        transport: net.transport(id),
        stateMachine: sm,
        bootstrap: { voters: ids },
        timing: { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 },
        timeoutMs: 20_000,
      });
      const board = new Board({ propose: (c) => node.propose(c), local: (q) => sm.query(q), read: (q) => node.read(q) }, () => `card${++idSeq}`);
      return { node, sm, board };
    }),
  );
  return { net, members, stop: async () => void (await Promise.all(members.map((m) => m.node.stop()))) };
}

/** Polls `probe` every 5 ms until it holds (the caller's test timeout bounds the wait). */
export async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 5));
}
