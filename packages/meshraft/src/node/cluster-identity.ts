/**
 * @module cluster-identity
 * Which history this node belongs to. A cluster *name* only says which room to meet in; the
 * cluster *id* (128 random bits, minted when a cluster is founded and kept in storage) says which
 * history. Every frame carries the sender's id; a frame or join of another id is refused here,
 * before the core sees it, so a node never mixes two histories (see docs/runtime.md
 * "Cluster identity").
 *
 * A fresh joiner has no id. It targets the id it was given (`clusterId` option, e.g. from a
 * board link) or else the first id it hears from a peer, asks only that cluster to admit it, and
 * adopts (persists) the id when a member of that cluster first sends it Raft traffic. A given id
 * that the room's record contradicts is held back (`linkConflict`): the record is the room's
 * history, so the node neither asks the linked cluster nor takes its traffic while they disagree.
 */
import type { NodeId } from '@meshraft/core';
import type { NodeContext } from './node-context.js';
import type { RuntimeFrame } from './wire.js';

export const META_CLUSTER_ID = 'meshraft.clusterId';
/** Set with the id when a joiner adopted it: such a node never founds a cluster under it. */
export const META_CLUSTER_ID_ADOPTED = 'meshraft.clusterIdAdopted';

const ID_RE = /^[0-9a-f]{32}$/;

/** A well-formed cluster id: 32 lowercase hex digits (128 bits). */
export function isClusterId(v: unknown): v is string {
  return typeof v === 'string' && ID_RE.test(v);
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Mints a new cluster id from `randomBytes` (createNode's option: a simulator passes a seeded
 * source), else from the platform's crypto source. Never from the election-jitter `random`:
 * drawing from it would shift every seeded schedule after a founding.
 */
export function mintClusterId(randomBytes: ((n: number) => Uint8Array) | undefined): string {
  let b: Uint8Array;
  if (randomBytes) b = randomBytes(16);
  else globalThis.crypto.getRandomValues((b = new Uint8Array(16)));
  if (b.length !== 16) throw new RangeError('randomBytes(16) must return 16 bytes');
  return hex(b);
}

const FNV128_OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const FNV128_PRIME = 0x0000000001000000000000000000013bn;
const U128 = (1n << 128n) - 1n;

/** A 128-bit FNV-1a hash, as a cluster id: the same text always gives the same id. */
export function deriveClusterId(text: string): string {
  let h = FNV128_OFFSET;
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * FNV128_PRIME) & U128;
  return h.toString(16).padStart(32, '0');
}

/**
 * The id of a cluster whose storage predates cluster ids: derived from the name, so every member
 * of that old cluster derives the same one (it keeps the name-only guarantee it always had, and
 * no newly founded cluster can share it).
 */
export function legacyClusterId(cluster: string): string {
  return deriveClusterId(`meshraft-legacy-cluster:${cluster}`);
}

/** The id of a fixed founding set (`bootstrap: { voters }`): every founder computes the same. */
export function foundingSetClusterId(cluster: string, voters: readonly NodeId[]): string {
  return deriveClusterId(`meshraft-founding-set:${cluster}:${[...voters].sort().join(',')}`);
}

/** A frame or join from another history, as the 'foreign-cluster' event reports it. */
export interface ForeignClusterEvent {
  /** The peer that sent it. */
  readonly from: NodeId;
  /** The id it carried. */
  readonly clusterId: string;
  /** The payload kind refused ('raft', 'join', 'campaign'). */
  readonly kind: string;
}

/** status().linkConflict: the id a fresh joiner was given is not the one its room records. */
export interface LinkConflict {
  /** The id it was given (`clusterId` option, a board link's `?cluster=`). */
  readonly linked: string;
  /** The id the room records (its history). */
  readonly recorded: string;
}

/** Why a frame was refused by identity, or undefined when it may go on. */
type Verdict = undefined | 'no-id' | 'foreign' | 'held';

/** Kinds a fresh joiner sends with the id of the cluster it asks to enter. */
function namesTarget(kind: RuntimeFrame['payload']['kind']): boolean {
  return kind === 'join' || kind === 'depart';
}

export class ClusterIdentity {
  /** This node's cluster id once founded, restored or adopted; null while a fresh joiner waits. */
  private own: string | null;
  /** What a fresh joiner asks to join (given, or first heard); null while it has heard nothing. */
  private target: string | null;
  /** Frames and joins refused for carrying another id. */
  foreignFrames = 0;
  /** Every foreign id seen, with the peers that carried it. */
  readonly foreign = new Map<string, Set<NodeId>>();
  /** The id each peer's frames last carried (who of the online peers is of our cluster). */
  private readonly peerIds = new Map<NodeId, string>();

  constructor(
    private readonly ctx: NodeContext,
    own: string | null,
    expected: string | null,
    private readonly onForeign: (e: ForeignClusterEvent, first: boolean) => void,
    private readonly onAdopted: (id: string) => void = () => {},
  ) {
    this.own = own;
    this.target = own ?? expected;
    this.given = expected !== null;
  }

  /** Whether the target was given (`clusterId` option): then nothing retargets it. */
  private readonly given: boolean;
  /** The room's record while it contradicts the given target (then the node holds back). */
  private heldBy: string | null = null;

  /**
   * The room recorded `id` (fork-detector): a fresh joiner that was not given an id asks that
   * cluster, rather than whichever member it heard first. One that was given another id holds
   * back: joining it would found the node in a history the room does not keep (it would be
   * forked as soon as it learned the record), so it waits and says why until they agree.
   */
  retarget(id: string): void {
    if (this.own !== null) return;
    if (this.given) {
      const held = this.target === id ? null : id;
      if (held !== this.heldBy) this.ctx.log.warn(held ? 'the given cluster id is not the room\'s record: not joining it' : 'the room records the given cluster id again', { linked: this.target, recorded: id });
      this.heldBy = held;
      return;
    }
    this.target = id;
  }

  /** The given id and the room's record while they disagree (status().linkConflict), else null. */
  linkConflict(): LinkConflict | null {
    return this.own === null && this.heldBy !== null && this.target !== null ? { linked: this.target, recorded: this.heldBy } : null;
  }

  /** The id this node belongs to, or null while a fresh joiner waits for admission. */
  get id(): string | null {
    return this.own;
  }

  /** The id the node speaks for: its own, else the one it asks to join (carried in its frames). */
  get speaksFor(): string | null {
    return this.own ?? this.target;
  }

  /**
   * The id a frame of `kind` carries: this node's own; a fresh joiner's join and depart name its
   * target (a page that closes while its join is pending must still be heard leaving), but its
   * other frames carry none, so no other fresh node takes a mere target for a cluster.
   */
  carried(kind: RuntimeFrame['payload']['kind']): string | null {
    // A held-back joiner sends no join (membership-driver) and names no cluster for itself.
    if (namesTarget(kind) && this.own === null && this.heldBy !== null) return null;
    return namesTarget(kind) ? this.speaksFor : this.own;
  }

  /** Foreign ids seen so far (status()). */
  foreignIds(): string[] {
    return [...this.foreign.keys()].sort();
  }

  /**
   * Checks one decoded frame. True: it may reach the node (and, for a fresh joiner admitted by
   * it, its id was adopted). False: refused and counted.
   */
  admit(f: RuntimeFrame): boolean {
    const verdict = this.judge(f);
    if (verdict === undefined) return true;
    if (verdict === 'no-id' || verdict === 'held') {
      this.ctx.log.debug(verdict === 'held' ? 'dropped a frame of the linked cluster the room does not record' : 'dropped a frame without a cluster id', { from: f.from, kind: f.payload.kind });
      return false;
    }
    this.foreignFrames++;
    const id = f.clusterId!;
    let peers = this.foreign.get(id);
    const first = !peers?.has(f.from);
    if (!peers) this.foreign.set(id, (peers = new Set()));
    peers.add(f.from);
    if (first) this.ctx.log.warn('refused a frame of another cluster under this name', { from: f.from, clusterId: id, own: this.speaksFor, kind: f.payload.kind });
    this.onForeign({ from: f.from, clusterId: id, kind: f.payload.kind }, first);
    return false;
  }

  /**
   * Why the node waits (status().waiting), or null. `leader`: one is known; `member`: this node
   * is (or was) in the configuration.
   */
  waiting(leader: NodeId | null, member: boolean): string | null {
    const held = this.linkConflict();
    if (held) return `waiting: the link names cluster ${held.linked}, but the room records cluster ${held.recorded}; not joining a history the room does not keep`;
    if (leader !== null) return null;
    const cid = this.speaksFor;
    const online = cid !== null && this.ctx.transport.links().some((l) => l.state !== 'down' && l.peer !== this.ctx.id && this.peerIds.get(l.peer) === cid);
    if (!online) return `waiting: no member of cluster ${cid ?? this.ctx.cluster} online`;
    if (!member) return `waiting: asking cluster ${cid} to admit this node`;
    return null;
  }

  private judge(f: RuntimeFrame): Verdict {
    const cid = f.clusterId;
    const kind = f.payload.kind;
    // Only a member's frames (not a join or depart, which may name a target) say the sender is of a cluster.
    if (cid !== undefined && !namesTarget(kind)) this.peerIds.set(f.from, cid);
    if (cid === undefined) {
      // Only a fresh joiner that has heard nobody yet sends without an id, and then only its
      // campaign switch: harmless. A join must name the cluster it asks to enter.
      return kind === 'campaign' ? undefined : 'no-id';
    }
    if (this.own !== null) return cid === this.own ? undefined : 'foreign';
    // A fresh joiner: the first member's id heard becomes the one it asks to join.
    if (this.target === null && !namesTarget(kind)) this.target = cid;
    if (cid !== this.target) return 'foreign';
    // While the room's record contradicts the link, the linked cluster must not admit us.
    if (this.heldBy !== null) return 'held';
    // Raft traffic from the target cluster means a member admitted us: adopt its id for good.
    if (kind === 'raft') this.adopt(cid);
    return undefined;
  }

  private adopt(id: string): void {
    this.own = id;
    this.onAdopted(id);
    this.ctx.log.info('adopted the cluster id of the cluster that admitted this node', { clusterId: id });
    // Not awaited: the storage applies writes in order, so the id lands before any entry of
    // that cluster does (the host loop saves them later).
    const { storage } = this.ctx;
    Promise.all([storage.setMeta(META_CLUSTER_ID_ADOPTED, '1'), storage.setMeta(META_CLUSTER_ID, id)]).catch((err: unknown) => this.ctx.log.error('could not persist the cluster id', { err }));
  }
}
