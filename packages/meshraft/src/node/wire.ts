/**
 * @module wire
 * What the runtime puts inside @meshraft/transport's envelope: the payload is either a Raft
 * message for the core or one of the runtime's own small membership and presence messages.
 */
import type { NodeId } from '@meshraft/core';
import { decodeEnvelope, encodeEnvelope } from '@meshraft/transport';
import { isClusterId } from './cluster-identity.js';
import type { Message } from './raft-core.js';

export type RuntimePayload =
  /**
   * A Raft protocol message for the core, with its lease stamp: `sentAt` on a leader's
   * broadcast, `answers` (the echoed sentAt) on a follower's answer (see peer-contact).
   */
  | { readonly kind: 'raft'; readonly msg: Message; readonly sentAt?: number; readonly answers?: number }
  /** `node` asks to be added to the cluster as a learner; forwarded to the leader. */
  | { readonly kind: 'join'; readonly node: NodeId }
  /**
   * The sender's campaign switch (setCampaign): a leader handing over leadership skips voters
   * that would ignore the TimeoutNow (hidden tabs).
   */
  | { readonly kind: 'campaign'; readonly enabled: boolean; readonly ephemeral?: boolean }
  /** `node` is going away now (a tab's pagehide): the leader takes it out of the configuration at once. */
  | { readonly kind: 'depart'; readonly node: NodeId }
  /**
   * From a leader to a peer that is not in its configuration (applied up to index `at`): a voter
   * replaced while offline learns it is out and asks to join again as a learner.
   */
  /** `final`: an operator removed the receiver (remove()): it stays out, as after leave(). */
  | { readonly kind: 'outside'; readonly at: number; readonly final?: true };

export interface RuntimeFrame {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly payload: RuntimePayload;
  /** The sender's cluster id (cluster-identity); absent from a fresh joiner that has heard nobody. */
  readonly clusterId?: string;
}

/** Throws the transport's FrameTooLargeError for a frame above the envelope limit. */
export function encodeFrame(cluster: string, from: NodeId, to: NodeId, payload: RuntimePayload, clusterId?: string | null): Uint8Array {
  // The id rides in the payload map (`cid`): the transport's envelope stays as it is.
  return encodeEnvelope({ cluster, from, to, payload: clusterId ? { ...payload, cid: clusterId } : payload });
}

/**
 * Decodes a frame of `cluster`; undefined for anything else (foreign cluster, bad version,
 * malformed payload). Raft tolerates loss, so a bad frame is dropped, never thrown.
 */
export function decodeFrame(cluster: string, frame: Uint8Array): RuntimeFrame | undefined {
  let env;
  try {
    env = decodeEnvelope(frame, { cluster });
  } catch {
    return undefined;
  }
  const p = env.payload as Partial<Record<string, unknown>> | null;
  if (typeof p !== 'object' || p === null) return undefined;
  if (p.kind === 'raft') {
    const m = p.msg as Partial<Record<string, unknown>> | null;
    if (typeof m !== 'object' || m === null) return undefined;
    if (typeof m.type !== 'string' || typeof m.from !== 'string' || typeof m.to !== 'string') return undefined;
    if (typeof m.term !== 'number') return undefined;
    if (!optionalTime(p.sentAt) || !optionalTime(p.answers)) return undefined;
  } else if (p.kind === 'join' || p.kind === 'depart') {
    if (typeof p.node !== 'string' || p.node === '') return undefined;
  } else if (p.kind === 'outside') {
    if (!Number.isSafeInteger(p.at) || (p.at as number) < 0 || (p.final !== undefined && p.final !== true)) return undefined;
  } else if (p.kind === 'campaign') {
    if (typeof p.enabled !== 'boolean' || (p.ephemeral !== undefined && typeof p.ephemeral !== 'boolean')) return undefined;
  } else {
    return undefined;
  }
  const { cid, ...payload } = p;
  if (cid !== undefined && !isClusterId(cid)) return undefined;
  return { from: env.from, to: env.to, payload: payload as unknown as RuntimePayload, ...(cid !== undefined && { clusterId: cid }) };
}

const optionalTime = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v));
