/**
 * @module start-peer
 * `startPeer(config)`: a durable member in one process. File storage (fsync on), WebRTC through
 * `@roamhq/wrtc` with the signaling relay as fallback (or the relay only), the KV state machine,
 * and optionally the etcd gateway over HTTP. The CLI (`meshraft peer`) is a thin shell around it.
 * Order matters for a failed start: the listen address is bound before the data directory is
 * touched, so a port in use leaves no directory with a fresh id behind.
 */
import type { NodeId } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import { openFileStorage } from '@meshraft/storage/file';
import type { Transport } from '@meshraft/transport';
import { createRelayTransport } from '@meshraft/transport/relay';
import { createWebRtcTransport, type WrtcLike } from '@meshraft/transport/webrtc';
import { createKvStateMachine } from '../kv/index.js';
import { createNode, type KvNode } from '../node/index.js';
import type { PeerConfig } from './peer-args.js';
import { bindHttp, type BoundHttpServer, type PeerHttpServer } from './peer-http.js';
import { createPeerKvClient } from './peer-kv-client.js';
import { logNodeEvents, type PeerLog } from './peer-log.js';

export interface Peer {
  readonly node: KvNode;
  /** The gateway's server when `--http` was given. */
  readonly http: PeerHttpServer | null;
  /** Stops the HTTP server and the node (closing the transport and releasing the data dir lock). */
  stop(): Promise<void>;
}

/** Storage with anything in it: a restarted member, whose bootstrap flag must be ignored. */
export function holdsState(storage: DurableStorage): boolean {
  return storage.lastIndex() > 0 || storage.initialState().hardState.term > 0 || storage.snapshot().metadata.index > 0;
}

/** `@roamhq/wrtc` when it loads (a native Node addon), else null: the peer then uses the relay. */
async function loadWrtc(log: PeerLog): Promise<WrtcLike | null> {
  try {
    const mod = (await import('@roamhq/wrtc')) as { default?: WrtcLike } & WrtcLike;
    return mod.default ?? mod;
  } catch (err) {
    log.error(`WebRTC unavailable (@roamhq/wrtc did not load: ${(err as Error).message}); using the relay only`);
    return null;
  }
}

function transportFactory(config: PeerConfig, wrtc: WrtcLike | null): (id: NodeId) => Transport {
  return (id) => {
    const signaling = {
      urls: config.signaling,
      room: config.cluster,
      peer: id,
      ...(config.secret !== undefined && { secret: config.secret }),
    };
    if (!wrtc) return createRelayTransport({ signaling });
    return createWebRtcTransport({
      signaling,
      wrtc,
      ...(config.iceServers !== undefined && { iceServers: config.iceServers }),
      ...(config.iceTransportPolicy !== undefined && { iceTransportPolicy: config.iceTransportPolicy }),
    });
  };
}

export async function startPeer(config: PeerConfig, log: PeerLog): Promise<Peer> {
  const http: BoundHttpServer | null = config.http ? await bindHttp(config.http) : null;
  let storage: DurableStorage;
  try {
    storage = await openFileStorage(config.data, { fsync: config.fsync });
  } catch (err) {
    await http?.close();
    throw err;
  }
  const restarted = holdsState(storage);
  if (config.bootstrap && restarted) log.info('--bootstrap ignored: the data directory already holds state; rejoining as before');
  const stateMachine = createKvStateMachine();
  let node: KvNode;
  let wrtc: WrtcLike | null = null;
  try {
    wrtc = config.relayOnly ? null : await loadWrtc(log);
    node = await createNode({
      cluster: config.cluster,
      storage,
      transport: transportFactory(config, wrtc),
      stateMachine,
      ...(config.id !== undefined && { id: config.id }),
      bootstrap: config.bootstrap,
      timing: { tickMs: config.tickMs },
      logger: log.runtime,
    });
  } catch (err) {
    // createNode failed before taking ownership of the storage: release the lock here.
    await storage.close().catch(() => {});
    await http?.close();
    throw err;
  }
  const stopLogging = logNodeEvents(node, log);
  log.notice(
    `peer ${node.id} started: cluster ${config.cluster}, data ${config.data}${restarted ? ' (restarted)' : ''}, ` +
      `transport ${wrtc ? 'webrtc+relay' : 'relay'}, fsync ${config.fsync ? 'on' : 'off'}`,
  );
  if (http) {
    http.serve(createPeerKvClient(node, { stateMachine, requestTimeoutMs: config.requestTimeoutMs }));
    log.notice(`etcd gateway listening on ${http.url}`);
  }
  let stopping: Promise<void> | undefined;
  const running = node;
  return {
    node,
    http,
    stop: () =>
      (stopping ??= (async () => {
        await http?.close();
        await running.stop();
        stopLogging();
      })()),
  };
}
