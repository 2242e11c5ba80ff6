/**
 * @module node-util
 * Small pure helpers the node's parts share: membership tests and map keys.
 */
import { MeshraftError, type ConfState, type NodeId } from '@meshraft/core';
import type { SessionKey } from './sessions.js';

export function isMember(cs: ConfState, id: NodeId): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id) || cs.votersOutgoing.includes(id);
}

/** The core dropped a proposal it cannot take now (no leader, transfer in progress): retry later. */
export function isDropped(err: unknown): boolean {
  return err instanceof MeshraftError && err.code === 'PROPOSAL_DROPPED';
}

export function isSessionKey(k: unknown): k is SessionKey {
  const o = k as Partial<SessionKey> | null;
  return typeof o === 'object' && o !== null && typeof o.client === 'string' && o.client !== '' &&
    Number.isSafeInteger(o.seq) && (o.seq as number) > 0;
}

export function sessionKeyString(k: SessionKey): string {
  return `${k.client}\u0000${k.seq}`;
}

export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
