/**
 * @module create-node
 * createNode: resolves the node's identity from storage (a reloaded tab is the same member with
 * the same log), bootstraps a new cluster if asked, and starts the host loop.
 */
import { EMPTY_CONF_STATE, type NodeId, type Snapshot } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { Transport } from '@meshraft/transport';
import { defaultCore } from './default-core.js';
import { encodeSnapshotPayload } from './entry-codec.js';
import {
  foundingSetClusterId,
  legacyClusterId,
  META_CLUSTER_ID,
  META_CLUSTER_ID_ADOPTED,
  mintClusterId,
} from './cluster-identity.js';
import { ClusterIdMismatchError, InvalidOptionError, NodeIdMismatchError } from './errors.js';
import { MeshraftNode, META_CLUSTER, META_NODE_ID } from './meshraft-node.js';
import { resolveOptions, silentLogger, type CreateNodeOptions } from './options.js';
import { systemTimers } from './timers.js';

function randomId(random: () => number): NodeId {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(random() * 36).toString(36);
  return s;
}

function foundingVoters(bootstrap: CreateNodeOptions<unknown, unknown, unknown, unknown>['bootstrap'], id: NodeId): NodeId[] | undefined {
  if (bootstrap === undefined || bootstrap === false) return undefined;
  if (bootstrap === true) return [id];
  const list: unknown = typeof bootstrap === 'object' && bootstrap !== null ? bootstrap.voters : undefined;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw new InvalidOptionError('bootstrap', 'must be true or { voters: non-empty node ids }');
  }
  const voters = [...new Set(list as string[])].sort();
  if (!voters.includes(id)) throw new InvalidOptionError('bootstrap.voters', `must include this node (${id})`);
  return voters;
}

function isFresh(storage: DurableStorage): boolean {
  const { hardState } = storage.initialState();
  return storage.lastIndex() === 0 && hardState.term === 0 && storage.snapshot().metadata.index === 0;
}

/**
 * The cluster id this node starts with (cluster-identity): the stored one; for a founder the
 * given one, else one minted (`bootstrap: true`) or derived from the founding set; for storage
 * from before cluster ids, the given one or the name's legacy id; for a fresh joiner none yet.
 */
function resolveClusterId<C, R, Q, QR>(
  options: CreateNodeOptions<C, R, Q, QR>,
  stored: string | undefined,
  fresh: boolean,
  founders: readonly NodeId[] | undefined,
): string | null {
  if (stored !== undefined) return stored;
  if (founders) {
    if (options.clusterId !== undefined) return options.clusterId;
    return options.bootstrap === true ? mintClusterId(options.randomBytes) : foundingSetClusterId(options.cluster, founders);
  }
  if (!fresh) return options.clusterId ?? legacyClusterId(options.cluster);
  return null;
}

/**
 * Creates and starts a node. The node owns `storage` and `transport` from here on: stop() closes
 * both. Rejects with InvalidOptionError (bad option, or storage of another cluster) or
 * NodeIdMismatchError before anything runs.
 */
export async function createNode<C, R, Q, QR>(options: CreateNodeOptions<C, R, Q, QR>): Promise<MeshraftNode<C, R, Q, QR>> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'must be an object');
  const resolved = resolveOptions(options);
  const { storage, stateMachine } = options;
  if (typeof storage?.save !== 'function') throw new InvalidOptionError('storage', 'must be a DurableStorage');
  if (typeof stateMachine?.apply !== 'function') throw new InvalidOptionError('stateMachine', 'must be a StateMachine');
  const random = options.random ?? Math.random;

  const storedCluster = storage.getMeta(META_CLUSTER);
  if (storedCluster !== undefined && storedCluster !== options.cluster) {
    throw new InvalidOptionError('cluster', `storage belongs to cluster ${storedCluster}`);
  }
  const storedId = storage.getMeta(META_NODE_ID);
  if (storedId !== undefined && options.id !== undefined && storedId !== options.id) {
    throw new NodeIdMismatchError(storedId, options.id);
  }
  const given = typeof options.transport === 'function' ? undefined : options.transport;
  const id = storedId ?? options.id ?? given?.self ?? randomId(random);
  const transport: Transport =
    typeof options.transport === 'function' ? await options.transport(id) : options.transport;
  if (transport.self !== id) {
    // A transport we created from the factory is ours to release; a given one stays the caller's.
    if (typeof options.transport === 'function') await transport.close().catch(() => {});
    throw new NodeIdMismatchError(id, transport.self);
  }
  const storedCid = storage.getMeta(META_CLUSTER_ID);
  if (storedCid !== undefined && options.clusterId !== undefined && storedCid !== options.clusterId) {
    if (typeof options.transport === 'function') await transport.close().catch(() => {});
    throw new ClusterIdMismatchError(storedCid, options.clusterId);
  }
  const fresh = isFresh(storage);
  // A node that adopted an id as a joiner never founds under it, even if restarted with bootstrap.
  const voters = storage.getMeta(META_CLUSTER_ID_ADOPTED) === '1' ? undefined : foundingVoters(options.bootstrap, id);
  const founding = voters !== undefined && fresh;
  const clusterId = resolveClusterId(options, storedCid, fresh, founding ? voters : undefined);
  // Identity first: once anything else is persisted, the storage belongs to this node.
  if (storedCluster === undefined) await storage.setMeta(META_CLUSTER, options.cluster);
  if (storedId === undefined) await storage.setMeta(META_NODE_ID, id);
  if (storedCid === undefined && clusterId !== null) await storage.setMeta(META_CLUSTER_ID, clusterId);

  if (founding) {
    // The founding configuration is a snapshot at index 1: later members receive it from the
    // leader like any other snapshot, so no node needs to be told the initial membership.
    const confState = { ...EMPTY_CONF_STATE, voters };
    const snapshot: Snapshot = {
      metadata: { index: 1, term: 1, confState },
      data: encodeSnapshotPayload({ state: stateMachine.snapshot(), sessions: [] }),
    };
    await storage.save({ snapshot, hardState: { term: 1, vote: null, commit: 1 } });
  }

  const node = new MeshraftNode<C, R, Q, QR>({
    id,
    cluster: options.cluster,
    clusterId,
    expectedClusterId: options.clusterId ?? null,
    storage,
    transport,
    stateMachine,
    core: options.core ?? defaultCore,
    timers: options.timers ?? systemTimers,
    random,
    logger: options.logger ?? silentLogger,
    options: resolved,
    ...(options.sessionNonce !== undefined && { sessionNonce: options.sessionNonce }),
  });
  node.start();
  return node;
}
