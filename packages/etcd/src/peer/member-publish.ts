/**
 * @module member-publish
 * A peer's part in the replicated member-attributes table. It publishes its own attributes, as
 * etcd does at start (etcdserver.publish): its name and client URLs go through Raft as a
 * `memberAttrs` command once it is a member with a known leader, and again whenever what is
 * recorded differs (a restart with new flags, a snapshot that brought older values). Failures
 * retry with backoff; nothing waits for it. And while it leads, it forgets the entries of nodes
 * outside the configuration (conf changes never reach the state machine, which would drop them
 * itself as etcd's does), so a removed member's peer URLs do not stay taken.
 */
import { Backoff, type BackoffOptions } from '@meshraft/transport';
import type { KvStateMachine } from 'meshraft/kv';
import type { KvNode } from '../node-kv-client.js';
import type { PeerLog } from './peer-log.js';

export interface MemberPublishOptions {
  readonly node: KvNode;
  readonly stateMachine: KvStateMachine;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly log: PeerLog;
  /** Deadline of one proposal. */
  readonly timeoutMs: number;
  /** Retry delays (default 250 ms doubling to 10 s, half jittered). */
  readonly backoff?: BackoffOptions;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/** Starts publishing; returns the function that stops it (a proposal in flight is left to finish). */
export function publishMemberAttrs(options: MemberPublishOptions): () => void {
  const { node, stateMachine, name, clientUrls, log } = options;
  const backoff = new Backoff({ initialMs: 250, maxMs: 10_000, ...options.backoff });
  let stopped = false;
  let inFlight = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const recordedDiffers = (): boolean => {
    const a = stateMachine.members.get(node.id);
    return a?.name !== name || !sameList(a.clientUrls, clientUrls);
  };
  const isMember = () => node.status().members.some((m) => m.id === node.id);

  function failed(why: string): void {
    const delay = backoff.next();
    if (backoff.attempts === 1 || backoff.attempts % 10 === 0) log.error(`publishing member attributes failed (${why}); retrying in ${Math.round(delay)} ms`);
    retry = setTimeout(() => {
      retry = undefined;
      attempt();
    }, delay);
    retry.unref?.();
  }

  function attempt(): void {
    // The cheap checks first: this runs on every applied entry.
    if (stopped || inFlight || retry !== undefined || !recordedDiffers() || node.leader === null || !isMember()) return;
    inFlight = true;
    node.propose({ type: 'memberAttrs', id: node.id, name, clientUrls: [...clientUrls] }, { timeoutMs: options.timeoutMs }).then(
      (r) => {
        inFlight = false;
        if (stopped) return;
        if (!r.ok) return failed(`${r.code}: ${r.message}`);
        backoff.reset();
        log.info(`published member attributes: name ${JSON.stringify(name)}, client URLs ${clientUrls.join(',') || '(none)'}`);
        attempt();
      },
      (err: unknown) => {
        inFlight = false;
        if (!stopped) failed(err instanceof Error ? err.message : String(err));
      },
    );
  }

  // Becoming a member, a new leader, and applied entries (a snapshot, another write of ours) are
  // the moments the answer to "does it differ?" can change; the check itself is a map lookup.
  const offs = [node.on('members', attempt), node.on('leader', attempt), node.on('applied', attempt)];
  attempt();
  return () => {
    stopped = true;
    clearTimeout(retry);
    for (const off of offs) off();
  };
}

/**
 * While this node leads: propose a `forget` for every recorded node outside the configuration.
 * Best effort (a failure waits for the next trigger); a node re-added later publishes again.
 */
export function forgetRemovedMembers(node: KvNode, stateMachine: KvStateMachine, timeoutMs: number): () => void {
  let members = new Set(node.status().members.map((m) => m.id));
  const pending = new Set<string>();
  let seenSize = -1;
  const sweep = (): void => {
    if (node.leader !== node.id) return;
    seenSize = stateMachine.members.size;
    for (const [id] of stateMachine.members.list()) {
      if (members.has(id) || pending.has(id)) continue;
      pending.add(id);
      const done = () => pending.delete(id);
      node.propose({ type: 'memberAttrs', id, forget: true }, { timeoutMs }).then(done, done);
    }
  };
  const offs = [
    node.on('members', (list) => {
      members = new Set(list.map((m) => m.id));
      sweep();
    }),
    node.on('leader', sweep),
    // A new stale entry can only come from an applied command that grew the table.
    node.on('applied', () => {
      if (stateMachine.members.size !== seenSize) sweep();
    }),
  ];
  sweep();
  return () => {
    for (const off of offs) off();
  };
}
