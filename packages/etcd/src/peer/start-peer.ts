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
import { createSignalingClient, type SignalingClient, type Transport } from '@meshraft/transport';
import { createRelayTransport } from '@meshraft/transport/relay';
import { createWebRtcTransport, type WrtcLike } from '@meshraft/transport/webrtc';
import { createKvStateMachine, createLeaseKeeper } from 'meshraft/kv';
import { createNode, DEFAULT_TIMING, type ForkEvent } from 'meshraft';
import type { KvNode } from '../node-kv-client.js';
import type { PeerConfig } from './peer-args.js';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import type { ClientTls } from '../grpc/client-listener.js';
import { startAutoCompaction } from './auto-compaction.js';
import { askRoom, isFreshDataDir, newPeerId, writeForkFile } from './founding.js';
import { ClusterExistsError, ListenError, UsageError } from './peer-errors.js';
import { createPeerKvClient } from './peer-kv-client.js';
import { logNodeEvents, type PeerLog } from './peer-log.js';
import { forgetRemovedMembers, publishMemberAttrs } from './member-publish.js';

/** Room for the KV command's encoding around a request's keys and values. */
const PROPOSAL_HEADROOM_BYTES = 64 * 1024;

export interface Peer {
  readonly node: KvNode;
  /** The client endpoint (gRPC and the JSON gateway) when `--http`/`--listen-client-urls` was given. */
  readonly http: EtcdServer | null;
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

/** The peer's transport, over its own signaling client (closed with the transport). */
function createTransport(config: PeerConfig, wrtc: WrtcLike | null, id: NodeId): { transport: Transport; signaling: SignalingClient } {
  const signaling = createSignalingClient({
    urls: config.signaling,
    room: config.cluster,
    peer: id,
    ...(config.secret !== undefined && { secret: config.secret }),
  });
  return { transport: transportOver(config, wrtc, signaling), signaling };
}

function transportOver(config: PeerConfig, wrtc: WrtcLike | null, signaling: SignalingClient): Transport {
  if (!wrtc) return createRelayTransport({ signaling, closeSignaling: true });
  return createWebRtcTransport({
    signaling,
    closeSignaling: true,
    wrtc,
    ...(config.iceServers !== undefined && { iceServers: config.iceServers }),
    ...(config.iceTransportPolicy !== undefined && { iceTransportPolicy: config.iceTransportPolicy }),
  });
}

/**
 * A founder on a fresh data directory asks the room first: a recorded cluster means founding
 * would fork it, so it refuses (ClusterExistsError) before the directory exists. Returns the
 * transport it asked with, for the node to use.
 */
async function checkRoomBeforeFounding(config: PeerConfig, wrtc: WrtcLike | null, log: PeerLog, timeoutMs: number): Promise<{ id: NodeId; transport: Transport }> {
  const id = config.id ?? newPeerId();
  const { transport, signaling } = createTransport(config, wrtc, id);
  const answer = await askRoom(signaling, timeoutMs);
  if (answer.joined && typeof answer.recorded === 'string') {
    await transport.close().catch(() => {});
    throw new ClusterExistsError(config.cluster, answer.recorded);
  }
  if (!answer.joined) log.error(`--bootstrap: the signaling server did not answer within ${timeoutMs} ms, so the room could not be asked whether cluster ${config.cluster} exists; founding anyway (a fork would be detected once it answers)`);
  return { id, transport };
}

/** The TLS files, read before anything starts so a bad path fails the start cleanly. */
async function readTls(config: PeerConfig): Promise<ClientTls | undefined> {
  const t = config.tls;
  if (!t) return undefined;
  const read = (flag: string, path: string) =>
    readFile(path).catch((err: Error) => {
      throw new UsageError(`${flag} ${path}: ${err.message}`);
    });
  const [cert, key, ca] = await Promise.all([
    read('--cert-file', t.certFile),
    read('--key-file', t.keyFile),
    t.trustedCaFile === undefined ? undefined : read('--trusted-ca-file', t.trustedCaFile),
  ]);
  return { cert, key, ...(ca && { ca }), clientCertAuth: t.clientCertAuth };
}

/** Binds `address` and lets it go again: ListenError if it is in use or cannot be had. */
async function checkListen(address: { readonly host: string; readonly port: number }, flag: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(flag, `${address.host}:${address.port}`, err)));
    server.listen(address.port, address.host, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startPeer(config: PeerConfig, log: PeerLog): Promise<Peer> {
  const tls = await readTls(config);
  // Before the data directory is touched: a port in use leaves nothing behind (ListenError
  // names the flag to change). The client server binds it for real once the node runs.
  if (config.http) await checkListen(config.http, '--http');
  const wrtc = config.relayOnly ? null : await loadWrtc(log);
  const electionTimeoutMs = config.tickMs * DEFAULT_TIMING.electionTicks;
  const founder = config.bootstrap && (await isFreshDataDir(config.data)) ? await checkRoomBeforeFounding(config, wrtc, log, Math.max(5000, 2 * electionTimeoutMs)) : null;
  const storage = await openFileStorage(config.data, { fsync: config.fsync }).catch(async (err: unknown) => {
    await founder?.transport.close().catch(() => {});
    throw err;
  });
  const restarted = holdsState(storage);
  if (config.bootstrap && restarted) log.info('--bootstrap ignored: the data directory already holds state; rejoining as before');
  const stateMachine = createKvStateMachine();
  // Subscribed before the node replays its log, so every lease applied gets a deadline.
  const leaseKeeper = createLeaseKeeper({
    leases: stateMachine.leases,
    propose: (command) => node.propose(command),
    electionTimeoutMs,
  });
  let node: KvNode;
  try {
    node = await createNode({
      cluster: config.cluster,
      storage,
      transport: founder ? founder.transport : (id) => createTransport(config, wrtc, id).transport,
      stateMachine,
      ...(founder ? { id: founder.id } : config.id !== undefined && { id: config.id }),
      bootstrap: config.bootstrap,
      timing: { tickMs: config.tickMs },
      // The etcd layer refuses requests over --max-request-bytes itself; the runtime's cap sits
      // above it by the command encoding's few bytes, so every request etcd takes is proposable.
      maxProposalBytes: config.maxRequestBytes + PROPOSAL_HEADROOM_BYTES,
      logger: log.runtime,
    });
  } catch (err) {
    // createNode failed before taking ownership of the storage: release the lock here.
    await storage.close().catch(() => {});
    await founder?.transport.close().catch(() => {});
    leaseKeeper.stop();
    throw err;
  }
  leaseKeeper.setLeader(node.status().role === 'leader');
  const stopLeaseRole = node.on('role', (role) => leaseKeeper.setLeader(role === 'leader'));
  const stopLogging = logNodeEvents(node, log);
  const stopForkFile = writeForkFileOnFork(node, config.data, log);
  log.notice(
    `peer ${node.id} started: cluster ${config.cluster}, data ${config.data}${restarted ? ' (restarted)' : ''}, ` +
      `transport ${wrtc ? 'webrtc+relay' : 'relay'}, fsync ${config.fsync ? 'on' : 'off'}`,
  );
  let http: EtcdServer | null = null;
  if (config.http) {
    const base = createPeerKvClient(node, { stateMachine, requestTimeoutMs: config.requestTimeoutMs });
    const kv = {
      ...base,
      // etcd's minimum TTL: 1.5 election timeouts, in whole seconds.
      leases: { view: stateMachine.leases, remainingMs: (id: number) => leaseKeeper.remainingMs(id), minTtl: Math.ceil((1.5 * electionTimeoutMs) / 1000) },
    };
    try {
      http = await serveEtcd(kv, {
        host: config.http.host,
        port: config.http.port,
        ...(tls && { tls }),
        maxRequestBytes: config.maxRequestBytes,
        metrics: kv,
      });
    } catch (err) {
      stopLogging();
      stopLeaseRole();
      leaseKeeper.stop();
      await node.stop();
      throw err;
    }
    log.notice(`etcd gateway listening on ${http.url} (gRPC and JSON${tls ? ', TLS' : ''})`);
  }
  // Never awaited: a peer serves (and joins) while its attributes are still on their way.
  const stopPublishing = publishMemberAttrs({
    node,
    stateMachine,
    name: config.name ?? node.id,
    clientUrls: config.advertiseClientUrls ?? (http ? [http.url] : []),
    log,
    timeoutMs: config.requestTimeoutMs,
  });
  const stopForgetting = forgetRemovedMembers(node, stateMachine, config.requestTimeoutMs);
  const stopCompaction = config.autoCompaction ? startAutoCompaction(node, stateMachine, config.autoCompaction, log) : () => {};
  let stopping: Promise<void> | undefined;
  const running = node;
  return {
    node,
    http,
    stop: () =>
      (stopping ??= (async () => {
        stopCompaction();
        stopPublishing();
        stopForgetting();
        stopLeaseRole();
        leaseKeeper.stop();
        await http?.close();
        await running.stop();
        stopLogging();
        stopForkFile();
      })()),
  };
}

/**
 * A history that lost a fork (fork-detector) stops taking writes; its committed commands go to
 * fork-entries.json in the data directory for re-proposal. Also on a restart after the fork.
 */
function writeForkFileOnFork(node: KvNode, dataDir: string, log: PeerLog): () => void {
  const write = (e: ForkEvent): void => {
    writeForkFile(dataDir, e).then(
      (path) => log.error(`FORKED: this peer's cluster ${e.clusterId} lost to cluster ${e.survivorId} under the name ${node.cluster}; it accepts no writes; its ${e.entries.length} committed entries are in ${path} (re-propose them in the survivor)`),
      (err: unknown) => log.error(`FORKED: could not write the fork file in ${dataDir}: ${String(err)}`),
    );
  };
  if (node.forked) write(node.forked as ForkEvent);
  return node.on('fork', write);
}
