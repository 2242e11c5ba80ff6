/**
 * @module auto-compaction
 * etcd's --auto-compaction-mode/--auto-compaction-retention for a peer. Only the leader acts, and
 * it acts through the log (a Compact command), so every member compacts at the same revision.
 * Revision mode: every 5 minutes (etcd's interval, or the retention period if shorter) compact
 * to current - retention. Periodic mode: sample the revision every retention/10 and compact to
 * the newest sample at least `retention` old.
 */
import type { KvStateMachine } from 'meshraft/kv';
import type { KvNode } from '../node-kv-client.js';
import type { AutoCompaction } from './peer-args.js';
import type { PeerLog } from './peer-log.js';

const REVISION_MODE_INTERVAL_MS = 5 * 60_000;

export function startAutoCompaction(node: KvNode, sm: KvStateMachine, policy: AutoCompaction, log: PeerLog): () => void {
  const samples: Array<{ at: number; revision: number }> = [];
  const compactTo = (revision: number) => {
    if (node.status().role !== 'leader' || revision <= sm.compactRevision) return;
    node.propose({ type: 'compact', revision }).then(
      (r) => {
        if (r.ok) log.info(`auto-compaction: compacted to revision ${revision}`);
      },
      () => {
        // Lost leadership or quorum: the next tick tries again.
      },
    );
  };
  const intervalMs = policy.mode === 'revision' ? REVISION_MODE_INTERVAL_MS : Math.max(1000, policy.retentionMs / 10);
  const timer = setInterval(() => {
    if (policy.mode === 'revision') {
      compactTo(sm.revision - policy.retention);
      return;
    }
    const now = Date.now();
    samples.push({ at: now, revision: sm.revision });
    let target: number | undefined;
    while (samples.length > 0 && now - samples[0]!.at >= policy.retentionMs) target = samples.shift()!.revision;
    if (target !== undefined) compactTo(target);
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
