/** Small builders for single-node tests (the network helper covers multi-node ones). */
import { MemoryStorage } from '../memory-storage.js';
import type { Message } from '../messages.js';
import { seededRandom } from '../random.js';
import { RawNode } from '../raw-node.js';
import { EntryType, type Entry, type HardState, type NodeId } from '../types.js';
import { confState, type NodeOptions } from './network.js';

/** Entries with the given terms at indexes 1..n (data "i"). */
export function entriesWithTerms(terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: i + 1, type: EntryType.Normal, data: new TextEncoder().encode(`${i + 1}`) }));
}

export function storageWith(voters: NodeId[], terms: number[] = [], hs?: HardState): MemoryStorage {
  const s = new MemoryStorage({ confState: confState(voters) });
  if (terms.length > 0) s.append(entriesWithTerms(terms));
  if (hs !== undefined) s.setHardState(hs);
  return s;
}

export function newNode(id: NodeId, voters: NodeId[], opts: NodeOptions & { terms?: number[]; hs?: HardState } = {}): RawNode {
  const { terms, hs, ...rest } = opts;
  return new RawNode({ id, storage: storageWith(voters, terms, hs), random: seededRandom(42), ...rest });
}

/** The node's queued messages (after flushing batched broadcasts). */
export function takeMsgs(n: RawNode): Message[] {
  return n.raft.takeMessages();
}

/** Persists a node's Ready into its own storage and advances; returns the Ready's messages. */
export function persist(n: RawNode, storage: MemoryStorage): Message[] {
  if (!n.hasReady()) return [];
  const rd = n.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  n.advance(rd);
  return rd.messages;
}

export function app(from: NodeId, to: NodeId, term: number, index: number, logTerm: number, entries: Entry[], commit: number): Message {
  return { type: 'app', from, to, term, index, logTerm, entries, commit };
}

export function vote(from: NodeId, to: NodeId, term: number, index: number, logTerm: number, pre = false): Message {
  return { type: pre ? 'preVote' : 'vote', from, to, term, index, logTerm, transfer: false };
}

export function ent(term: number, index: number, data = ''): Entry {
  return { term, index, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}
