/**
 * @module peer-kv-client
 * The etcd gateway's KvClient for a peer process: the runtime's node KvClient plus what an HTTP
 * server needs on top. A request that finds no leader waits for one until its deadline, then
 * fails with NO_LEADER (etcd's 503 "no leader") instead of hanging; every request is bounded by
 * `requestTimeoutMs` overall. Watches come from the local KV state machine's apply stream.
 */
import type { NodeId } from '@meshraft/core';
import { NoLeaderError, type KvClient } from '../index.js';
import type { MetricsSource } from '../metrics.js';
import type { KvCommand, KvResultOf, KvStateMachine } from 'meshraft/kv';
import { createNodeKvClient, type KvNode } from '../node-kv-client.js';

export interface PeerKvClientOptions {
  readonly stateMachine: KvStateMachine;
  /** Deadline of one request, including the wait for a leader. */
  readonly requestTimeoutMs: number;
  /** etcd cluster id in response headers (default: derived from the node's cluster id). */
  readonly clusterId?: string;
}

/** Resolves with the leader once one is known; rejects with NoLeaderError at `timeoutMs`. */
export function waitForLeader(node: KvNode, timeoutMs: number): Promise<NodeId> {
  const now = node.status().leader;
  if (now !== null) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      off();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(new NoLeaderError())), Math.max(0, timeoutMs));
    const off = node.on('leader', (leader) => {
      if (leader !== null) done(() => resolve(leader));
    });
  });
}

export function createPeerKvClient(node: KvNode, options: PeerKvClientOptions): KvClient & MetricsSource {
  const base = createNodeKvClient(node, options);
  const { stateMachine, requestTimeoutMs } = options;

  /** Waits for a leader, then runs `op` with what is left of the deadline. */
  async function led<T>(op: (timeoutMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + requestTimeoutMs;
    await waitForLeader(node, requestTimeoutMs);
    try {
      return await op(Math.max(1, deadline - Date.now()));
    } catch (err) {
      // A quorum timeout while no leader is known is an election in progress: say so.
      if ((err as { code?: unknown }).code === 'NO_QUORUM' && node.status().leader === null) {
        throw new NoLeaderError({ cause: err });
      }
      throw err;
    }
  }

  return {
    ...base,
    propose<C extends KvCommand>(command: C): Promise<KvResultOf<C>> {
      return led((timeoutMs) => node.propose(command, { timeoutMs }) as Promise<KvResultOf<C>>);
    },
    read(query, { linearizable }) {
      if (!linearizable) return node.read(query, { consistency: 'local' });
      return led((timeoutMs) => node.read(query, { consistency: 'linearizable', timeoutMs }));
    },
    watch: (watchOptions, listener) => stateMachine.watch(watchOptions, listener),
    replay: (watchOptions, startRevision) => stateMachine.replay(watchOptions, startRevision),
  };
}
