/**
 * @module runtime/runtime-cluster
 * Real MeshraftNodes (createNode with the KV state machine, the membership policy and the join
 * protocol) over the simulated clock, network and disks, plus everything the checks watch:
 * writes as they are issued and land, entries as they apply, roles, and vote grants on the wire.
 * A crash drops the node object (its timers, endpoint and in-flight writes die with it); a
 * restart opens the storage again from what was durable and calls createNode over it.
 */
import { EntryType, type Entry } from '@meshraft/core';
import type { StorageUpdate } from '@meshraft/storage';
import { decodeEnvelope, type SharedRoomRecord } from '@meshraft/transport';
import { createNode, type MeshraftNode, type StateMachine } from 'meshraft';
import { createKvStateMachine, type KvCommand, type KvStateMachine, type KvQuery, type KvQueryResult, type KvResult } from 'meshraft/kv';
import { createHash, type Hash } from 'node:crypto';
import { digestEntry, SafetyChecker, type Network, type Xoshiro128 } from '@meshraft/sim';
import { CommittedConfigs } from './committed-config.js';
import type { RuntimeLeases } from './runtime-leases.js';
import { wrapStateMachine, wrapStorage, wrapTimers, type RuntimeBug } from './runtime-bugs.js';
import { SimDisk, type InFlightWrite, type SimStorage } from './sim-storage.js';
import { SimNetwork } from './sim-transport.js';
import type { VirtualClock } from './virtual-clock.js';

export type KvNode = MeshraftNode<KvCommand, KvResult, KvQuery, KvQueryResult>;

export const CLUSTER_NAME = 'sim';

export interface RuntimeClusterOptions {
  readonly clock: VirtualClock;
  readonly net: Network<Uint8Array>;
  readonly rng: Xoshiro128;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly graceMs: number;
  /** Which nodes are ephemeral (membership.ephemeral: tabs); default none. */
  readonly ephemeral?: (id: string) => boolean;
  readonly maxWriteMs: number;
  readonly bug: RuntimeBug | undefined;
  /** A write was issued on `id`'s disk (the fault injector may plan a crash around it). */
  readonly onWrite: (id: string, w: InFlightWrite) => void;
  readonly trace: ((line: string) => void) | undefined;
  /** A room record shared by every node, as a signaling server keeps (founding-sim only). */
  readonly room?: SharedRoomRecord;
  /** Runs each member's lease keeper and checks the lease invariant (runtime-leases.ts). */
  readonly leases?: RuntimeLeases;
}

interface Incarnation {
  readonly owner: string;
  readonly storage: SimStorage;
  node: KvNode | undefined;
  role: string;
  term: number;
  /** Highest index this incarnation was seen applying (or restoring). */
  seenApplied: number;
}

export interface Slot {
  readonly id: string;
  readonly disk: SimDisk;
  inc: Incarnation | undefined;
  /** Left (stopped by leave()): never restarted. */
  gone: boolean;
  /** Told it was removed from the configuration (it keeps running, like a real peer). */
  removed: boolean;
  starts: number;
  /** Started with bootstrap: true, on every start, like a user's unchanged command line. */
  readonly founder: boolean;
  /** Started with `clusterId` (a board link's id), on every start. */
  readonly link?: string;
}

export interface ClusterStats {
  crashes: number;
  crashesByPoint: Record<string, number>;
  restarts: number;
  restartsAfterCompaction: number;
  compactions: number;
  snapshotsInstalled: number;
  joins: number;
  removals: number;
  leadersElected: number;
  pauses: number;
  fatalErrors: string[];
}

export class RuntimeCluster {
  readonly slots = new Map<string, Slot>();
  readonly checker = new SafetyChecker();
  readonly configs = new CommittedConfigs((index, conf) => {
    this.line(`configuration committed at ${index}: voters [${conf.voters.join(' ')}]${conf.votersOutgoing.length ? ` & [${conf.votersOutgoing.join(' ')}]` : ''} learners [${conf.learners.join(' ')}]`);
    this.checker.observeCommittedConf(index, conf);
  });
  readonly network: SimNetwork;
  readonly stats: ClusterStats = {
    crashes: 0,
    crashesByPoint: {},
    restarts: 0,
    restartsAfterCompaction: 0,
    compactions: 0,
    snapshotsInstalled: 0,
    joins: 0,
    removals: 0,
    leadersElected: 0,
    pauses: 0,
    fatalErrors: [],
  };
  readonly messageCounts = new Map<string, number>();
  private readonly hash: Hash = createHash('sha256');
  private maxApplied = 0;
  /** Every election won, in time order. */
  private readonly elections: { node: string; term: number; at: number }[] = [];
  private incarnations = 0;

  constructor(private readonly o: RuntimeClusterOptions) {
    this.network = new SimNetwork(o.net, o.clock, (from, to, frame) => this.onWire(from, to, frame), (id) => this.pausedUntil(id), o.room);
  }

  /** One line of the run's trace: hashed always, printed when tracing. */
  line(s: string): void {
    this.hash.update(`${this.o.clock.now} ${s}\n`);
    this.o.trace?.(`[${String(this.o.clock.now).padStart(6)}ms] ${s}`);
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  get highestApplied(): number {
    return this.maxApplied;
  }

  live(): Slot[] {
    return [...this.slots.values()].filter((s) => s.inc?.node !== undefined);
  }

  node(id: string): KvNode | undefined {
    return this.slots.get(id)?.inc?.node;
  }

  /** Adds a new node: the founder bootstraps alone, every other one joins through the protocol. */
  add(id: string, founder: boolean, link?: string): void {
    const disk = new SimDisk(this.o.clock, this.o.rng.fork(), this.o.maxWriteMs, {
      onIssue: (w) => this.o.onWrite(id, w),
      onCrashPoint: (w) => this.crash(id, `${w.kind} write landed, before the host continued`, `after-${w.kind}`),
    });
    const slot: Slot = { id, disk, inc: undefined, gone: false, removed: false, starts: 0, founder, ...(link !== undefined && { link }) };
    this.slots.set(id, slot);
    this.stats.joins += founder ? 0 : 1;
    this.line(`${id} added${founder ? ' (founder, bootstrap)' : link ? ` (joins, link ${link})` : ' (joins)'}`);
    this.start(slot);
  }

  /** (Re)starts a node over what its disk holds. */
  start(slot: Slot): void {
    if (slot.gone || slot.inc !== undefined) return;
    const owner = `${slot.id}#${++this.incarnations}`;
    const storage = slot.disk.open(owner);
    const snapIndex = storage.snapshot().metadata.index;
    if (slot.starts > 0) {
      this.stats.restarts++;
      if (storage.snapshot().metadata.index > 1) this.stats.restartsAfterCompaction++;
      this.line(`${slot.id} restarts from disk: snapshot ${snapIndex}, log ..${storage.lastIndex()}, term ${storage.initialState().hardState.term}, conf [${storage.initialState().confState.voters.join(' ')}]`);
    }
    slot.starts++;
    const inc: Incarnation = { owner, storage, node: undefined, role: 'follower', term: 0, seenApplied: snapIndex };
    slot.inc = inc;
    const rng = this.o.rng.fork();
    const nonceRng = this.o.rng.fork();
    const transport = this.network.attach(slot.id);
    const kv = createKvStateMachine();
    // The keeper shares the incarnation's clock (a second view of it, wrapped the same way).
    this.o.leases?.attach(this, slot.id, owner, kv, wrapTimers(this.o.bug, this.o.clock.timersFor(owner)), () => inc.node);
    const sm: StateMachine<KvCommand, KvResult, KvQuery, KvQueryResult> = wrapStateMachine(this.o.bug, this.observedStateMachine(slot.id, kv));
    const observed = this.observedStorage(slot.id, storage);
    createNode<KvCommand, KvResult, KvQuery, KvQueryResult>({
      cluster: CLUSTER_NAME,
      id: slot.id,
      storage: wrapStorage(this.o.bug, observed),
      transport,
      stateMachine: sm,
      ...(slot.founder && { bootstrap: true }),
      ...(slot.link !== undefined && { clusterId: slot.link }),
      timing: { tickMs: this.o.tickMs, electionTicks: this.o.electionTicks, heartbeatTicks: 1 },
      random: () => rng.float(),
      sessionNonce: () => nonceRng.nextUint32().toString(36) + nonceRng.nextUint32().toString(36),
      // A founder's cluster id, seeded like the nonce so a replay is byte for byte.
      randomBytes: (n) => Uint8Array.from({ length: n }, () => nonceRng.nextUint32() & 0xff),
      membership: { auto: true, targetVoters: 3, graceMs: this.o.graceMs, ephemeral: this.o.ephemeral?.(slot.id) === true },
      timeoutMs: 10 * this.o.tickMs * this.o.electionTicks,
      snapshotEntries: this.o.snapshotEntries,
      // Runs that snapshot every few entries exist to exercise snapshots; the byte amortization
      // (snapshotLogRatio) would thin them out geometrically as the state grows.
      ...(this.o.snapshotEntries < 1000 && { snapshotLogRatio: 0 }),
      timers: wrapTimers(this.o.bug, this.o.clock.timersFor(owner)),
    }).then(
      (node) => {
        if (slot.inc !== inc) return; // crashed while starting
        inc.node = node;
        this.watch(slot, inc, node);
      },
      (err: unknown) => this.stats.fatalErrors.push(`${slot.id}: createNode failed: ${String(err)}`),
    );
    this.o.clock.at(this.o.clock.now, 'sim', () => this.network.refresh());
  }

  private watch(slot: Slot, inc: Incarnation, node: KvNode): void {
    node.on('role', (role) => this.onRole(slot.id, inc, node, role));
    node.on('applied', (index) => this.onApplied(slot.id, inc, index));
    node.on('error', (err) => {
      this.stats.fatalErrors.push(`${slot.id}: ${err.message}`);
      this.line(`${slot.id} FATAL ${err.message}`);
    });
    node.on('removed', () => {
      // A real peer only logs this and keeps running (outside the configuration): so does the sim.
      this.stats.removals++;
      slot.removed = true;
      this.line(`${slot.id} removed from the configuration`);
    });
    // Events before the listeners were attached (createNode resolves after the loop started).
    const s = node.status();
    if (s.role !== inc.role) this.onRole(slot.id, inc, node, s.role);
    this.onApplied(slot.id, inc, s.applied);
  }

  /** A node that stopped on its own (leave()). */
  retire(slot: Slot, inc: Incarnation): void {
    if (slot.inc !== inc) return;
    slot.gone = true;
    slot.inc = undefined;
    this.o.clock.kill(inc.owner);
    this.network.detach(slot.id);
    this.checker.observeCrash(slot.id);
    this.line(`${slot.id} is gone`);
    this.network.refresh();
  }

  crash(id: string, why: string, point: string): void {
    const slot = this.slots.get(id);
    const inc = slot?.inc;
    if (slot === undefined || inc === undefined) return;
    this.stats.crashes++;
    this.stats.crashesByPoint[point] = (this.stats.crashesByPoint[point] ?? 0) + 1;
    slot.inc = undefined;
    this.o.clock.kill(inc.owner);
    slot.disk.crash();
    this.network.detach(id);
    this.network.refresh();
    this.checker.observeCrash(id);
    this.line(`${id} CRASH (${why}); ${slot.disk.durable.lastIndex()} entries durable`);
  }

  /** When node `id`, if paused, resumes. */
  pausedUntil(id: string): number | undefined {
    const owner = this.slots.get(id)?.inc?.owner;
    return owner === undefined ? undefined : this.o.clock.pausedUntil(owner);
  }

  /** Pauses node `id` for `ms` (SIGSTOP, then SIGCONT): its timers and frames wait. */
  pause(id: string, ms: number): void {
    const owner = this.slots.get(id)?.inc?.owner;
    if (owner === undefined) return;
    this.stats.pauses++;
    this.o.clock.pause(owner, this.o.clock.now + ms);
    this.line(`${id} paused for ${ms} ms`);
  }

  /** A read called at `callTime` was just answered by `id`: if it answered as leader, was it deposed? */
  observeRead(id: string, callTime: number): void {
    const node = this.node(id);
    if (node === undefined) return;
    const s = node.status();
    if (s.role !== 'leader') return;
    this.checker.observeLeaderRead(id, s.term, callTime, this.elections.find((e) => e.term > s.term));
  }

  // ---- observation ---------------------------------------------------------------------------

  private onWire(from: string, to: string, frame: Uint8Array): void {
    this.hash.update(frame);
    let payload: unknown;
    try {
      payload = decodeEnvelope(frame, { cluster: CLUSTER_NAME }).payload;
    } catch {
      return;
    }
    const p = payload as { kind?: string; msg?: { type: string; term: number; reject?: boolean; index?: number } };
    const type = p.kind === 'raft' && p.msg ? p.msg.type : (p.kind ?? '?');
    this.messageCounts.set(type, (this.messageCounts.get(type) ?? 0) + 1);
    if (p.kind === 'raft' && p.msg?.type === 'voteResp' && p.msg.reject === false) {
      this.checker.observeVoteGranted(to, from, p.msg.term);
      const hs = this.slots.get(from)?.disk.durable.initialState().hardState;
      const durable = hs !== undefined && (hs.term > p.msg.term || (hs.term === p.msg.term && hs.vote === to));
      this.checker.observeAck(from, `its term-${p.msg.term} vote for ${to}`, durable);
    }
    if (p.kind === 'raft' && p.msg?.type === 'appResp' && p.msg.reject === false && p.msg.index !== undefined) {
      const durable = this.slots.get(from)?.disk.durable;
      const last = durable?.lastIndex() ?? 0;
      // One Ready can carry a term-T ack together with a later term's append that truncated the
      // acknowledged entries (the follower stepped both before the Ready); etcd's raft does the
      // same. Once the follower durably moved past T, that ack can no longer help a term-T leader
      // commit: any newer leader needed a vote from a member of every term-T commit quorum, which
      // then holds the entry or has left term T. So it is judged durable (a harness artifact).
      const newerTerm = (durable?.initialState().hardState.term ?? 0) > p.msg.term;
      const what = `an append acknowledgement of index ${p.msg.index} (durable log ends at ${last})`;
      this.checker.observeAck(from, what, last >= p.msg.index || newerTerm);
    }
  }

  private onRole(id: string, inc: Incarnation, node: KvNode, role: string): void {
    inc.role = role;
    const s = node.status();
    inc.term = s.term;
    this.line(`${id} ${role} term ${s.term}`);
    this.checker.observeRole(id, s.term, role === 'leader', inc.storage);
    this.o.leases?.role(id, inc.owner, role === 'leader');
    if (role === 'leader') {
      this.stats.leadersElected++;
      this.elections.push({ node: id, term: s.term, at: this.o.clock.now });
    }
  }

  private onApplied(id: string, inc: Incarnation, index: number): void {
    const st = inc.storage;
    if (!this.configs.started && st.snapshot().metadata.index > 0) {
      const founding = st.snapshot().metadata;
      this.configs.fromSnapshot(founding.index, founding.confState);
    }
    if (inc.seenApplied + 1 < st.firstIndex() && index >= st.firstIndex() - 1) {
      const snap = st.snapshot();
      inc.seenApplied = snap.metadata.index;
      this.checker.observeRestore(id, snap.metadata.index);
      this.configs.fromSnapshot(snap.metadata.index, snap.metadata.confState);
      this.maxApplied = Math.max(this.maxApplied, snap.metadata.index);
    }
    const appliedInTerm = inc.node?.status().term;
    for (let i = inc.seenApplied + 1; i <= index; i++) {
      const e: Entry | undefined = st.entries(i, i + 1)[0];
      if (e === undefined) break;
      this.checker.observeApply(id, { index: e.index, term: e.term, digest: digestEntry(e.type, e.data), appliedInTerm });
      if (e.index > this.maxApplied) {
        this.maxApplied = e.index;
        if (e.type === EntryType.ConfChange) this.configs.applyEntry(e.index, e.data);
        this.hash.update(`${e.index}:${e.term}:${digestEntry(e.type, e.data)}\n`);
      }
      inc.seenApplied = i;
    }
  }

  /** Reports writes to the checker as they are issued (the view changes at once). */
  private observedStorage(id: string, storage: SimStorage): SimStorage {
    const checker = this.checker;
    const slot = this.slots.get(id)!;
    const cluster = this;
    const save = storage.save.bind(storage);
    const compact = storage.compact.bind(storage);
    storage.save = (update: StorageUpdate): Promise<void> => {
      const inc = slot.inc;
      // Entries a snapshot covers are dropped by the storage (planUpdate): check only the rest.
      const covered = update.snapshot?.metadata.index ?? storage.snapshot().metadata.index;
      const entries = (update.entries ?? []).filter((e) => e.index > covered);
      const first = entries[0];
      const prevTerm = first === undefined ? 0 : first.index - 1 === covered && update.snapshot ? update.snapshot.metadata.term : safeTerm(storage, first.index - 1);
      const result = save(update);
      if (inc !== undefined) {
        const lead = inc.role === 'leader';
        checker.observePersist(
          id,
          entries.map((e) => ({ index: e.index, term: e.term, digest: digestEntry(e.type, e.data) })),
          prevTerm,
          update.snapshot?.metadata.index ?? null,
          { term: inc.term, isLeader: lead },
        );
        checker.observeRole(id, inc.term, lead, storage);
        if (update.snapshot !== undefined) {
          cluster.stats.snapshotsInstalled++;
          cluster.line(`${id} installs a snapshot at ${update.snapshot.metadata.index}`);
        }
      }
      if (update.hardState !== undefined) {
        const hs = update.hardState;
        result.then(() => checker.observeHardState(id, hs.term, hs.vote), () => {});
      }
      return result;
    };
    storage.compact = (snapshot) => {
      cluster.stats.compactions++;
      cluster.line(`${id} compacts through ${snapshot.metadata.index}`);
      return compact(snapshot);
    };
    return storage;
  }

  /** The real KV state machine; each executed write (its value names the operation) is checked once-only. */
  private observedStateMachine(id: string, kv: KvStateMachine): StateMachine<KvCommand, KvResult, KvQuery, KvQueryResult> {
    const checker = this.checker;
    const dec = new TextDecoder();
    return {
      apply: (command, ctx) => {
        const result = kv.apply(command, ctx);
        const executed = command.type === 'put' || (command.type === 'txn' && result.type === 'txn' && result.succeeded);
        const first = command.type === 'txn' ? command.success[0] : command;
        const put = executed && first?.type === 'put' ? first : undefined;
        if (put !== undefined) checker.observeExecution(id, dec.decode(put.value), 'apply', JSON.stringify(result.ok));
        if (result.ok && result.type === 'leaseRevoke') this.o.leases?.applied(id, kv, command, result.revoked, result.deleted, this.o.clock.now);
        return result;
      },
      query: (q) => kv.query(q),
      snapshot: () => kv.snapshot(),
      restore: (data) => kv.restore(data),
      encodeCommand: (c) => kv.encodeCommand(c),
      decodeCommand: (d) => kv.decodeCommand(d),
    };
  }
}

function safeTerm(storage: SimStorage, index: number): number {
  try {
    return storage.term(index);
  } catch {
    return 0;
  }
}
