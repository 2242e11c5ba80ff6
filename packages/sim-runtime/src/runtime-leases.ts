/**
 * @module runtime/runtime-leases
 * Leases in the runtime simulator. Every member incarnation runs the shipped lease keeper
 * (meshraft/kv's createLeaseKeeper) over its own KV state machine and its virtual timers, told
 * of leadership by the node's role events, exactly as `meshraft peer` wires it. A lease client
 * grants leases through random members, attaches a key to each, keeps some alive and abandons
 * others; at healing it abandons them all, so every lease must then expire.
 *
 * The invariant (docs/simulation.md), checked as each member applies a revoke that revoked:
 * - `lease-safety`: no lease is revoked while alive, i.e. before its TTL has passed since a
 *   grant or keep-alive the client issued and saw acknowledged (checked again when a late
 *   acknowledgement arrives after some member already applied the revoke);
 * - `lease-expiry`: the member that applied the revoke holds no key attached to the lease, and,
 *   once the cluster is healed and live, every abandoned lease is revoked on every member.
 */
import type { Xoshiro128 } from '@meshraft/sim';
import { createLeaseKeeper, prefixRangeEnd, type KvCommand, type KvStateMachine, type LeaseKeeper } from 'meshraft/kv';
import type { Timers } from 'meshraft';
import type { RuntimeBug } from './runtime-bugs.js';
import type { KvNode, RuntimeCluster } from './runtime-cluster.js';

const PREFIX = new TextEncoder().encode('lease/');

export interface RuntimeLeaseOptions {
  /** Granted TTL (seconds; the state machine's unit). */
  readonly ttlSeconds: number;
  /** Added to every deadline on promotion (the runtime's election timeout). */
  readonly electionTimeoutMs: number;
  readonly proposeTimeoutMs: number;
  /** Per simulator step: chance to grant a lease (while fewer than `maxActive` are kept alive). */
  readonly grantRate: number;
  /** Per simulator step and kept lease: chance the client stops keeping it alive. */
  readonly abandonRate: number;
  readonly maxActive: number;
  readonly bug: RuntimeBug | undefined;
}

export const DEFAULT_LEASE_OPTIONS: Omit<RuntimeLeaseOptions, 'electionTimeoutMs' | 'proposeTimeoutMs' | 'bug'> = {
  ttlSeconds: 1,
  grantRate: 0.03,
  abandonRate: 0.004,
  maxActive: 4,
};

interface LeaseRecord {
  readonly id: number;
  readonly ttlMs: number;
  /** The client still sends keep-alives. */
  kept: boolean;
  keepAliveInFlight: boolean;
  /** Issue time of the last grant or keep-alive sent (acknowledged or not). */
  lastIssued: number;
  /** Issue times of acknowledged grants and keep-alives. */
  readonly acked: number[];
  /** When each member applied a revoke that revoked it. */
  readonly revokedOn: { member: string; at: number }[];
}

interface Member {
  readonly owner: string;
  readonly kv: KvStateMachine;
  readonly keeper: LeaseKeeper;
}

export interface RuntimeLeaseStats {
  granted: number;
  keepAlives: number;
  /** Revokes applied that revoked (on any member), and how many keys they deleted. */
  revokesApplied: number;
  keysDeleted: number;
}

export class RuntimeLeases {
  readonly stats: RuntimeLeaseStats = { granted: 0, keepAlives: 0, revokesApplied: 0, keysDeleted: 0 };
  private readonly leases = new Map<number, LeaseRecord>();
  private readonly members = new Map<string, Member>();
  private nextId = 1;
  private stopped = false;
  private cluster: RuntimeCluster | undefined;

  constructor(
    private readonly rng: Xoshiro128,
    private readonly o: RuntimeLeaseOptions,
  ) {}

  /**
   * A member incarnation starts: its keeper follows `kv` from before the log replays (as
   * start-peer subscribes before createNode), on the incarnation's timers.
   */
  attach(cluster: RuntimeCluster, id: string, owner: string, kv: KvStateMachine, timers: Timers, node: () => KvNode | undefined): void {
    this.cluster = cluster;
    const followerExpiry = this.o.bug === 'lease-follower-expiry';
    const keeper = createLeaseKeeper({
      leases: kv.leases,
      electionTimeoutMs: this.o.electionTimeoutMs,
      timers,
      propose: (command) => {
        const n = node();
        if (n === undefined) return Promise.reject(new Error('not started'));
        // The broken variant drops the refresh count: a member's stale decision is not voided.
        const sent: KvCommand = followerExpiry ? { type: 'leaseRevoke', id: command.id } : command;
        return n.propose(sent, { timeoutMs: this.o.proposeTimeoutMs });
      },
    });
    if (followerExpiry) keeper.setLeader(true);
    this.members.set(id, { owner, kv, keeper });
  }

  /** The incarnation `owner` of member `id` changed role (ignored for a dead incarnation). */
  role(id: string, owner: string, leader: boolean): void {
    const m = this.members.get(id);
    if (m?.owner !== owner || this.o.bug === 'lease-follower-expiry') return;
    m.keeper.setLeader(leader);
  }

  /** Member `id` applied `command` with `result` to `kv`: check the invariant on a revoke. */
  applied(id: string, kv: KvStateMachine, command: KvCommand, revoked: boolean, deleted: number, now: number): void {
    if (command.type !== 'leaseRevoke' || !revoked) return;
    this.stats.revokesApplied++;
    this.stats.keysDeleted += deleted;
    const rec = this.leases.get(command.id);
    if (rec !== undefined) {
      rec.revokedOn.push({ member: id, at: now });
      for (const s of rec.acked) this.checkAlive(rec, s, id, now);
    }
    const left = kv.query({ type: 'range', key: PREFIX, rangeEnd: prefixRangeEnd(PREFIX) });
    const kept = left.ok ? left.kvs.filter((x) => x.lease === command.id) : [];
    if (kept.length > 0 || kv.leases.get(command.id) !== undefined) {
      this.report('lease-expiry', [id], `${id} applied the revoke of lease ${command.id} but still holds ${kept.length} key(s) attached to it`);
    }
  }

  /** A grant or keep-alive issued at `issued` was acknowledged: was the lease revoked inside its TTL? */
  private checkAlive(rec: LeaseRecord, issued: number, member: string, at: number): void {
    if (at >= issued && at < issued + rec.ttlMs) {
      this.report(
        'lease-safety',
        [member],
        `${member} applied a revoke of lease ${rec.id} at ${at} ms, while it was alive: a refresh issued at ${issued} ms was acknowledged (TTL ${rec.ttlMs} ms)`,
      );
    }
  }

  private report(kind: 'lease-safety' | 'lease-expiry', nodes: string[], message: string): void {
    this.cluster?.checker.report(kind, nodes, [], message);
  }

  private ack(rec: LeaseRecord, issued: number): void {
    rec.acked.push(issued);
    for (const r of rec.revokedOn) this.checkAlive(rec, issued, r.member, r.at);
  }

  /** One simulator step of the lease client (during the fault phase). */
  step(cluster: RuntimeCluster, now: number): void {
    if (this.stopped) return;
    const live = cluster.live();
    if (live.length === 0) return;
    const via = (): KvNode => live[this.rng.int(live.length)]!.inc!.node!;
    const kept = [...this.leases.values()].filter((l) => l.kept);
    if (kept.length < this.o.maxActive && this.rng.chance(this.o.grantRate)) this.grant(via(), now);
    for (const rec of kept) {
      if (this.rng.chance(this.o.abandonRate)) {
        rec.kept = false;
        cluster.line(`lease ${rec.id} abandoned by its client`);
        continue;
      }
      if (rec.keepAliveInFlight || now - rec.lastIssued < rec.ttlMs / 3) continue;
      this.keepAlive(via(), rec, now);
    }
  }

  private grant(node: KvNode, now: number): void {
    const id = this.nextId++;
    const rec: LeaseRecord = { id, ttlMs: this.o.ttlSeconds * 1000, kept: true, keepAliveInFlight: true, lastIssued: now, acked: [], revokedOn: [] };
    this.leases.set(id, rec);
    this.cluster?.line(`lease ${id} granted through ${node.id}`);
    const timeoutMs = this.o.proposeTimeoutMs;
    node.propose({ type: 'leaseGrant', id, ttl: this.o.ttlSeconds }, { timeoutMs }).then(
      (r) => {
        rec.keepAliveInFlight = false;
        if (!r.ok) return;
        this.stats.granted++;
        this.ack(rec, now);
        const key = new TextEncoder().encode(`lease/${id}`);
        node.propose({ type: 'put', key, value: new TextEncoder().encode(`lease-put-${id}`), lease: id }, { timeoutMs }).catch(() => {});
      },
      () => {
        // It may still commit: then it is a lease nobody keeps alive, which must expire.
        rec.keepAliveInFlight = false;
        rec.kept = false;
      },
    );
  }

  private keepAlive(node: KvNode, rec: LeaseRecord, now: number): void {
    rec.keepAliveInFlight = true;
    rec.lastIssued = now;
    node.propose({ type: 'leaseKeepAlive', id: rec.id }, { timeoutMs: this.o.proposeTimeoutMs }).then(
      (r) => {
        rec.keepAliveInFlight = false;
        if (!r.ok) return;
        this.stats.keepAlives++;
        this.ack(rec, now);
      },
      () => {
        rec.keepAliveInFlight = false;
      },
    );
  }

  /** Healing: the client abandons every lease, so each must expire. */
  stop(): void {
    this.stopped = true;
    for (const rec of this.leases.values()) rec.kept = false;
  }

  /** Every member still in the configuration has applied the revoke of every lease. */
  settled(cluster: RuntimeCluster): boolean {
    return this.leftovers(cluster).length === 0;
  }

  /** Leases still held by live members of the leader's configuration (a node that left is not one). */
  private leftovers(cluster: RuntimeCluster): string[] {
    const live = cluster.live();
    const lead = live.map((s) => s.inc!.node!.status()).filter((st) => st.role === 'leader').sort((x, y) => y.term - x.term)[0];
    if (lead === undefined) return ['no leader'];
    const inConf = new Set(lead.members.map((m) => m.id));
    const out: string[] = [];
    for (const s of live) {
      const m = this.members.get(s.id);
      if (!inConf.has(s.id) || m === undefined || m.owner !== s.inc!.owner) continue;
      for (const l of m.kv.leases.list()) out.push(`${s.id}: lease ${l.id}`);
    }
    return out;
  }

  /** After a live end of the run: every abandoned lease must have expired everywhere. */
  checkExpired(cluster: RuntimeCluster, since: number, now: number): void {
    const left = this.leftovers(cluster);
    if (left.length === 0) return;
    this.report('lease-expiry', [], `${now - since} ms after the client stopped every keep-alive, leases remain: ${left.slice(0, 6).join(', ')}`);
  }
}
