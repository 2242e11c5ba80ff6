/**
 * @module peer-log
 * One readable line per event of a running node: role, leader and term changes, members joining
 * and leaving, link changes, errors. Also adapts the runtime's Logger to the same lines.
 */
import { describeRelayReason } from '@meshraft/transport';
import type { Logger, MemberStatus, MeshraftNode } from 'meshraft';

/** Writes one finished line (the CLI prints it to stdout). */
export type LogSink = (line: string) => void;

export interface PeerLog {
  /** `info` lines are dropped when quiet; `notice` (startup, addresses) and `error` lines always go out. */
  info(message: string): void;
  notice(message: string): void;
  error(message: string): void;
  /** The runtime's logger: warnings and errors become lines, debug/info stay quiet. */
  readonly runtime: Logger;
}

function fields(f: Record<string, unknown> | undefined): string {
  if (!f) return '';
  const parts = Object.entries(f).map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? ' ' + parts.join(' ') : '';
}

export function createPeerLog(sink: LogSink, options: { readonly quiet?: boolean } = {}): PeerLog {
  const line = (level: string, message: string) => sink(`${new Date().toISOString()} ${level} ${message}`);
  const info = (m: string) => {
    if (!options.quiet) line('info', m);
  };
  const error = (m: string) => line('error', m);
  return {
    info,
    notice: (m) => line('info', m),
    error,
    runtime: {
      debug() {},
      info() {},
      warn: (m, f) => {
        if (!options.quiet) line('warn', m + fields(f));
      },
      error: (m, f) => error(m + fields(f)),
    },
  };
}

/** Why a member is on the relay, or which candidates its direct link uses. */
function linkDetail(m: MemberStatus): string {
  if (m.relayReason !== undefined) return describeRelayReason(m.relayReason);
  if (m.route !== undefined) return `ICE ${m.route.local}/${m.route.remote}${m.route.local === 'relay' || m.route.remote === 'relay' ? ', through TURN' : ''}`;
  return '';
}

/** Logs the node's events until the returned function is called. */
export function logNodeEvents<C, R, Q, QR>(node: MeshraftNode<C, R, Q, QR>, log: PeerLog): () => void {
  const now = node.status();
  let term = now.term;
  let waiting = now.waiting ?? null;
  if (waiting !== null) log.info(waiting);
  let members = new Map<string, MemberStatus>(now.members.map((m) => [m.id, m]));
  let stuck = now.stuck?.reason ?? null;
  // The node runs from createNode on (a lone voter is leader at once): say where it stands.
  log.info(`role ${now.role} (term ${now.term})`);
  if (now.leader !== null) log.info(`leader ${now.leader} (term ${now.term})`);
  const offs = [
    node.on('status', (s) => {
      if (s.stopped) return; // a stopped node reports term 0
      if (s.term !== term) log.info(`term ${term} -> ${s.term}`);
      term = s.term;
      // Why a joiner waits (no member online, not admitted yet): said once per change.
      if ((s.waiting ?? null) !== waiting && (waiting = s.waiting ?? null) !== null) log.info(waiting);
      // Whether writes can commit: said once when lost (with the voters to bring back), once when regained.
      const reason = s.stuck?.reason ?? null;
      if (reason !== stuck) {
        if (reason !== null) log.error(`cluster is ${reason}`);
        else log.notice('a majority of voters is reachable again: writable');
        stuck = reason;
      }
    }),
    node.on('role', (role) => log.info(`role ${role} (term ${node.status().term})`)),
    node.on('leader', (leader) => log.info(leader === null ? 'leader lost' : `leader ${leader} (term ${node.status().term})`)),
    node.on('members', (list) => {
      const next = new Map(list.map((m) => [m.id, m]));
      for (const m of list) {
        const was = members.get(m.id);
        if (!was) log.info(`member joined ${m.id} as ${m.role} (link ${m.link}${linkDetail(m) ? `; ${linkDetail(m)}` : ''})`);
        else {
          if (was.role !== m.role) log.info(`member ${m.id} is now a ${m.role}`);
          if (was.link !== m.link || was.relayReason !== m.relayReason || was.route?.local !== m.route?.local) {
            log.info(`link ${m.id} ${was.link} -> ${m.link}${linkDetail(m) ? ` (${linkDetail(m)})` : ''}`);
          }
        }
      }
      for (const id of members.keys()) if (!next.has(id)) log.info(`member left ${id}`);
      members = next;
    }),
    node.on('foreign-cluster', (e) => {
      // Once per peer and id: the frames themselves repeat at heartbeat rate (see /metrics).
      if (e.first) log.error(`refused ${e.kind} from ${e.from}: it belongs to cluster id ${e.clusterId}, not ${node.status().clusterId ?? 'this one'} (another history under the name ${node.cluster}; not merged)`);
    }),
    node.on('removed', () => log.info('this peer was removed from the cluster')),
    node.on('error', (err) => log.error(`node stopped by a fatal error: ${err.message}`)),
  ];
  return () => offs.forEach((off) => off());
}
