/**
 * @module session
 * Starts this tab's Raft member for a room: its IndexedDB log (strict durability), its stable
 * node id, a WebRTC transport with relay fallback over the page's signaling server, and the KV
 * state machine. A tab with no stored state only joins (the link's `?cluster=` id, else the one
 * the room recorded), even while every member is offline; it founds a board only when asked
 * (`?found`, the "New board" button) and the room has none recorded. The node is tied to the page
 * lifecycle: a leader tab that is closed or hidden hands leadership over first, so closing it
 * costs a round trip instead of an election timeout, and a hidden tab never campaigns.
 */
import { createNode, type Logger, type MeshraftNode } from 'meshraft';
import { attachPageLifecycle, createTickGate } from 'meshraft/browser';
import {
  createKvStateMachine,
  type KvCommand,
  type KvQuery,
  type KvQueryResult,
  type KvResult,
  type KvStateMachine,
} from 'meshraft/kv';
import { createSignalingClient } from '@meshraft/transport';
import { createWebRtcTransport } from '@meshraft/transport/webrtc';
import type { IndexedDbStorage } from '@meshraft/storage/indexeddb';
import { clusterName, type DemoParams } from './params.js';
import { partitionable, type PartitionableTransport } from './partition.js';
import { openBoardStorage } from './storage-slot.js';

export type BoardNode = MeshraftNode<KvCommand, KvResult, KvQuery, KvQueryResult>;

export interface Session {
  readonly node: BoardNode;
  readonly sm: KvStateMachine;
  readonly transport: PartitionableTransport;
  readonly cluster: string;
  /** IndexedDB database of this tab. */
  readonly database: string;
  /** How this member came to be: restarted from its log, founded the room, or joining. */
  readonly origin: 'restored' | 'founded' | 'joining';
  /** "New board" was pressed but the room already has one (its id): this tab joins it instead. */
  readonly foundRefused: string | null;
}

const NODE_ID_META = 'demo.nodeId';
/** How long a founding tab waits for the signaling server to say whether the room has a board. */
const JOIN_WAIT_MS = 5000;

function randomNodeId(): string {
  const b = new Uint8Array(4);
  globalThis.crypto.getRandomValues(b);
  return `tab-${Array.from(b, (x) => x.toString(36).padStart(2, '0')).join('').slice(0, 6)}`;
}

function isFresh(storage: IndexedDbStorage): boolean {
  return storage.lastIndex() === 0 && storage.snapshot().metadata.index === 0 && storage.initialState().hardState.term === 0;
}

const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (msg, fields) => console.warn(`[meshraft] ${msg}`, fields ?? ''),
  error: (msg, fields) => console.error(`[meshraft] ${msg}`, fields ?? ''),
};

export async function startSession(params: DemoParams, signalingUrl: string): Promise<Session> {
  const cluster = clusterName(params.room);
  const { storage, name } = await openBoardStorage(cluster, params.room, params.node);
  let id = storage.getMeta(NODE_ID_META);
  if (id === undefined) {
    id = randomNodeId();
    await storage.setMeta(NODE_ID_META, id);
  }
  const fresh = isFresh(storage);
  const signaling = createSignalingClient({ urls: signalingUrl, room: cluster, peer: id });
  let bootstrap = false;
  let foundRefused: string | null = null;
  if (fresh && params.found) {
    // Founding is explicit, and refused where the room already recorded a board. Two tabs
    // pressing "New board" at once may both found: the room keeps the first, the other forks.
    const joined = await Promise.race([
      signaling.whenJoined().then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), JOIN_WAIT_MS)),
    ]);
    const recorded = joined ? signaling.clusterRecord.recorded() : undefined;
    if (typeof recorded === 'string') foundRefused = recorded;
    else bootstrap = true;
  }
  const transport = partitionable(
    createWebRtcTransport({
      signaling,
      closeSignaling: true,
      forceRelay: params.relay,
      relayFallbackMs: params.fallbackMs,
      iceServers: params.iceServers,
      iceTransportPolicy: params.iceRelay ? 'relay' : 'all',
    }),
  );
  const sm = createKvStateMachine();
  const gate = createTickGate();
  const node: BoardNode = await createNode({
    cluster,
    id,
    storage,
    transport,
    stateMachine: sm,
    bootstrap,
    ...(fresh && !bootstrap && params.cluster !== null && { clusterId: params.cluster }),
    timing: { tickMs: params.tickMs },
    // A tab is ephemeral: shrinking keeps a durable peer (`pnpm demo --peer`) as the voter, and a
    // tab leading hands leadership to it (docs/runtime.md, "Churn").
    membership: { targetVoters: params.voters, graceMs: params.graceMs, ephemeral: true },
    logger: consoleLogger,
    timers: gate.timers,
  });
  attachPageLifecycle(node, {
    document,
    window,
    gate,
    onError: (err) => console.warn('[meshraft] leadership hand-over failed', err),
  });
  return { node, sm, transport, cluster, database: name, origin: fresh ? (bootstrap ? 'founded' : 'joining') : 'restored', foundRefused };
}
