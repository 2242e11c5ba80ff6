/**
 * @module test-api
 * `window.meshraft` with `?test`: what automation (Playwright, the bench) needs to drive and
 * observe a tab without scraping the page.
 */
import type { NodeStatus } from 'meshraft';
import { bytesToString, put, range } from 'meshraft/kv';
import type { Availability } from './availability.js';
import type { Board, Card, ClaimOutcome, Column } from './board.js';
import { StoreFailedError } from './demo-errors.js';
import { memberNames } from './member-names.js';
import type { Session } from './session.js';

export interface TestStatus {
  readonly id: string;
  readonly role: NodeStatus['role'];
  readonly term: number;
  readonly leader: string | null;
  readonly commit: number;
  readonly applied: number;
  readonly members: readonly {
    id: string; role: string; link: string; rttMs: number | null; campaign: boolean | null;
    /** The name the member published (member-names.ts), null before it did. */
    name: string | null;
    relayReason: string | null;
  }[];
  readonly writable: boolean;
  readonly reason: string;
  readonly origin: Session['origin'];
  readonly database: string;
  /** This tab's cluster id (null until admitted), why it waits, and its fork, from node.status(). */
  readonly clusterId: string | null;
  readonly waiting: string | null;
  readonly fork: { readonly clusterId: string; readonly survivorId: string } | null;
}

export interface MeshraftTestApi {
  status(): TestStatus;
  /** Replicated put; resolves once committed and applied on this tab. */
  put(key: string, value: string): Promise<void>;
  /** Linearizable get (ReadIndex round); null when absent. */
  get(key: string): Promise<string | null>;
  /** This replica's value right now, no round trip (may be stale). */
  localGet(key: string): string | null;
  /** This replica's key with its version and modRevision (to spot a command applied twice). */
  localKv(key: string): { value: string; version: number; modRevision: number } | null;
  /** This replica's store revision (+1 per applied change). */
  revision(): number;
  cards(): Card[];
  addCard(title: string, column?: Column): Promise<Card>;
  claim(cardId: string): Promise<ClaimOutcome>;
  release(cardId: string): Promise<boolean>;
  setPartitioned(on: boolean): void;
  leave(): Promise<void>;
  transferLeadership(to: string): Promise<void>;
  /** The node's monitoring counters (storage write latency histogram, elections, ...). */
  metrics(): ReturnType<Session['node']['metrics']>;
}

export function createTestApi(session: Session, board: Board, me: () => { by: string; name: string }, avail: () => Availability, leave: () => Promise<void>): MeshraftTestApi {
  const { node, sm, transport } = session;
  return {
    status() {
      const s = node.status();
      const a = avail();
      const names = memberNames((q) => sm.query(q));
      return {
        id: s.id,
        role: s.role,
        term: s.term,
        leader: s.leader,
        commit: s.commit,
        applied: s.applied,
        members: s.members.map((m) => ({
          id: m.id, role: m.role, link: m.link, rttMs: m.rttMs, campaign: m.campaign ?? null,
          name: names.get(m.id) ?? null, relayReason: m.relayReason ?? null,
        })),
        writable: a.writable,
        reason: a.reason,
        origin: session.origin,
        database: session.database,
        clusterId: s.clusterId ?? null,
        waiting: s.waiting ?? null,
        fork: s.fork ? { clusterId: s.fork.clusterId, survivorId: s.fork.survivorId } : null,
      };
    },
    async put(key, value) {
      const r = await node.propose(put(key, value));
      if (!r.ok) throw new StoreFailedError(r.code, r.message);
    },
    async get(key) {
      const r = await node.read(range(key));
      if (!r.ok) throw new StoreFailedError(r.code, r.message);
      const kv = r.kvs[0];
      return kv ? bytesToString(kv.value) : null;
    },
    localGet(key) {
      const r = sm.query(range(key));
      const kv = r.ok ? r.kvs[0] : undefined;
      return kv ? bytesToString(kv.value) : null;
    },
    localKv(key) {
      const r = sm.query(range(key));
      const kv = r.ok ? r.kvs[0] : undefined;
      return kv ? { value: bytesToString(kv.value), version: kv.version, modRevision: kv.modRevision } : null;
    },
    revision: () => sm.revision,
    cards: () => board.cards(),
    addCard: (title, column) => board.add(title, column),
    claim: (id) => board.claim(id, me()),
    release: (id) => board.release(id, me()),
    setPartitioned: (on) => transport.setPartitioned(on),
    leave,
    transferLeadership: (to) => node.transferLeadership(to),
    metrics: () => node.metrics(),
  };
}
