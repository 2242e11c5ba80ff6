/**
 * A seeded mix of KV commands (puts, deletes, prefix deletes, CAS txns, and txns that sometimes
 * write a key twice and fail), shared by the Node tests and the browser fixture so both run the
 * exact same log.
 */
import { seededRandom } from '@meshraft/core';
import { cas, deleteRange, put, txn } from '../kv-commands.js';
import { createKvStateMachine } from '../kv-state-machine.js';
import type { KvCommand } from '../kv-types.js';

export function randomCommands(seed: number, n: number): KvCommand[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const keys = ['a', 'b', 'c', 'd/1', 'd/2', 'd/3', 'e', 'ünïcode', '\u00ff'];
  const out: KvCommand[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const key = pick(keys);
    if (r < 0.5) out.push(put(key, `v${i}`, { prevKv: rand() < 0.5 }));
    else if (r < 0.65) out.push(deleteRange(key, { prefix: rand() < 0.5 }));
    else if (r < 0.85) out.push(cas(key, rand() < 0.3 ? null : `v${Math.floor(rand() * i)}`, `c${i}`));
    else out.push(txn([], [put(pick(keys), 'x'), put(pick(keys), 'y')]));
  }
  return out;
}

/** Apply the workload through the entry codec and return the snapshot's SHA-256 in hex. */
export async function workloadSnapshotDigest(seed: number, n: number): Promise<string> {
  const sm = createKvStateMachine();
  randomCommands(seed, n).forEach((c, i) => sm.apply(sm.decodeCommand(sm.encodeCommand(c)), { index: i + 1, term: 1 }));
  const snap = sm.snapshot();
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(snap));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The snapshot digest of a fixed workload, pinned so Node and browsers are held to the same bytes. */
export const GOLDEN_WORKLOAD = {
  seed: 2024,
  n: 500,
  digest: '0f7218984474070cd64ebe24957336e9fc58b059c88e224de1866d8a56d96e2f',
} as const;
