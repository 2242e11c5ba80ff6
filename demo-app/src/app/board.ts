/**
 * @module board
 * The board's data model on the replicated KV store. Each card is one key (`card/<id>`, JSON
 * title/column/created), each claim another (`claim/<id>`, JSON {by, name}). Every change is a
 * txn whose compares make it safe under concurrency:
 * - add: create-if-absent;
 * - edit/move: compare-and-set on the card's modRevision, re-read and retried when someone else
 *   changed the card in between (no lost updates, no resurrecting a deleted card);
 * - claim: create-if-absent on the claim key while the card exists; the loser learns who won;
 * - release: delete the claim only while it is still ours.
 * Reads come from this replica (`local`); writes are Raft proposals.
 */
import {
  bytesToString,
  deleteRange,
  put,
  range,
  toBytes,
  txn,
  type Compare,
  type KeyValue,
  type KvCommand,
  type KvQuery,
  type KvQueryResult,
  type KvResult,
  type RangeResult,
  type TxnResult,
} from 'meshraft/kv';
import { CardGoneError, CardInputError, ContendedError, StoreFailedError } from './demo-errors.js';

export const COLUMNS = ['todo', 'doing', 'done'] as const;
export type Column = (typeof COLUMNS)[number];
export const COLUMN_TITLES: Record<Column, string> = { todo: 'To do', doing: 'Doing', done: 'Done' };

export const MAX_TITLE = 200;
const MAX_EDIT_ATTEMPTS = 8;

export interface Claim {
  /** Node id of the tab that claimed the card. */
  readonly by: string;
  /** Display name at the time of the claim. */
  readonly name: string;
}

export interface Card {
  readonly id: string;
  readonly title: string;
  readonly column: Column;
  /** Orders cards within a column (ms since epoch at creation, then id). */
  readonly created: number;
  readonly claim: Claim | null;
  /** The card key's modRevision: the compare-and-set guard of the next edit. */
  readonly revision: number;
}

/** What the board needs from a node running the KV state machine. */
export interface BoardStore {
  propose(command: KvCommand): Promise<KvResult>;
  /** This replica's state right now (no round trip). */
  local(query: KvQuery): KvQueryResult;
  /** A linearizable read: asked when this replica does not know a card yet (it may lag). */
  read(query: KvQuery): Promise<KvQueryResult>;
}

export type ClaimOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly claimedBy: Claim }
  | { readonly ok: false; readonly gone: true };

const cardKey = (id: string): string => `card/${id}`;
const claimKey = (id: string): string => `claim/${id}`;

interface CardBody {
  readonly title: string;
  readonly column: Column;
  readonly created: number;
}

function isColumn(v: unknown): v is Column {
  return typeof v === 'string' && (COLUMNS as readonly string[]).includes(v);
}

function parseJson(kv: KeyValue): unknown {
  try {
    return JSON.parse(bytesToString(kv.value)) as unknown;
  } catch {
    return undefined;
  }
}

function parseBody(kv: KeyValue): CardBody | null {
  const v = parseJson(kv) as Partial<CardBody> | undefined;
  if (!v || typeof v.title !== 'string' || !isColumn(v.column) || typeof v.created !== 'number') return null;
  return { title: v.title, column: v.column, created: v.created };
}

export function parseClaim(kv: KeyValue): Claim | null {
  const v = parseJson(kv) as Partial<Claim> | undefined;
  if (!v || typeof v.by !== 'string' || typeof v.name !== 'string') return null;
  return { by: v.by, name: v.name };
}

export function checkTitle(title: unknown): string {
  if (typeof title !== 'string') throw new CardInputError('a title must be text');
  const t = title.trim();
  if (t === '') throw new CardInputError('a title must not be empty');
  if (t.length > MAX_TITLE) throw new CardInputError(`a title has at most ${MAX_TITLE} characters`);
  return t;
}

function checkColumn(column: unknown): Column {
  if (!isColumn(column)) throw new CardInputError(`unknown column ${String(column)}`);
  return column;
}

function ok<R extends KvResult>(r: KvResult): Exclude<R, { ok: false }> {
  if (!r.ok) throw new StoreFailedError(r.code, r.message);
  return r as Exclude<R, { ok: false }>;
}

function rangeOf(r: TxnResult, i: number): RangeResult | null {
  const x = r.responses[i];
  return x && x.type === 'range' ? x : null;
}

const exists = (key: string): Compare => ({ key: toBytes(key), target: 'version', result: 'greater', version: 0 });
const absent = (key: string): Compare => ({ key: toBytes(key), target: 'version', result: 'equal', version: 0 });

export class Board {
  constructor(
    private readonly store: BoardStore,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every card on this replica, by column then creation order. */
  cards(): Card[] {
    const claims = new Map<string, Claim>();
    const cr = this.store.local(range('claim/', { prefix: true }));
    if (cr.ok) {
      for (const kv of cr.kvs) {
        const c = parseClaim(kv);
        if (c) claims.set(bytesToString(kv.key).slice('claim/'.length), c);
      }
    }
    const out: Card[] = [];
    const r = this.store.local(range('card/', { prefix: true }));
    if (!r.ok) return out;
    for (const kv of r.kvs) {
      const body = parseBody(kv);
      if (!body) continue; // written by something else; not a card
      const id = bytesToString(kv.key).slice('card/'.length);
      out.push({ id, ...body, claim: claims.get(id) ?? null, revision: kv.modRevision });
    }
    return out.sort((a, b) => COLUMNS.indexOf(a.column) - COLUMNS.indexOf(b.column) || a.created - b.created || (a.id < b.id ? -1 : 1));
  }

  card(id: string): Card | null {
    return this.cards().find((c) => c.id === id) ?? null;
  }

  async add(title: string, column: Column = 'todo'): Promise<Card> {
    const body: CardBody = { title: checkTitle(title), column: checkColumn(column), created: this.now() };
    const id = this.newId();
    const key = cardKey(id);
    const r = ok<TxnResult>(await this.store.propose(txn([absent(key)], [put(key, JSON.stringify(body))])));
    if (!r.succeeded) throw new StoreFailedError('ID_TAKEN', `card id ${id} already exists`);
    return { id, ...body, claim: null, revision: r.revision };
  }

  /** Renames a card; concurrent edits of other fields are kept. */
  async rename(id: string, title: string): Promise<Card> {
    const t = checkTitle(title);
    return this.edit(id, (b) => ({ ...b, title: t }));
  }

  /** Moves a card to another column. */
  async move(id: string, column: Column): Promise<Card> {
    const c = checkColumn(column);
    return this.edit(id, (b) => ({ ...b, column: c }));
  }

  /** Deletes a card and its claim. Deleting a card that is already gone is not an error. */
  async remove(id: string): Promise<void> {
    ok(await this.store.propose(txn([], [deleteRange(cardKey(id)), deleteRange(claimKey(id))])));
  }

  /**
   * Claims a card for `who`: exactly one of several concurrent claims wins (create-if-absent,
   * decided by the log order); the others get the winner. Claiming a card one already holds wins.
   */
  async claim(id: string, who: Claim): Promise<ClaimOutcome> {
    const ck = claimKey(id);
    const r = ok<TxnResult>(
      await this.store.propose(
        txn([exists(cardKey(id)), absent(ck)], [put(ck, JSON.stringify(who))], [range(ck), range(cardKey(id))]),
      ),
    );
    if (r.succeeded) return { ok: true };
    const holder = rangeOf(r, 0)?.kvs[0];
    const claim = holder ? parseClaim(holder) : null;
    if (claim) return claim.by === who.by ? { ok: true } : { ok: false, claimedBy: claim };
    return { ok: false, gone: true };
  }

  /** Releases `who`'s claim; false if the card is not claimed by them (any more). */
  async release(id: string, who: Pick<Claim, 'by'>): Promise<boolean> {
    const ck = claimKey(id);
    const local = this.store.local(range(ck));
    let kv = local.ok ? local.kvs[0] : undefined;
    if (!kv) {
      const cur = await this.store.read(range(ck));
      kv = cur.ok ? cur.kvs[0] : undefined;
    }
    const claim = kv ? parseClaim(kv) : null;
    if (!kv || !claim || claim.by !== who.by) return false;
    const guard: Compare = { key: toBytes(ck), target: 'modRevision', result: 'equal', modRevision: kv.modRevision };
    const r = ok<TxnResult>(await this.store.propose(txn([guard], [deleteRange(ck)])));
    return r.succeeded;
  }

  /** Read-modify-write of one card with compare-and-set on its modRevision. */
  private async edit(id: string, change: (b: CardBody) => CardBody): Promise<Card> {
    const key = cardKey(id);
    const local = this.store.local(range(key));
    let kv = local.ok ? local.kvs[0] : undefined;
    if (!kv) {
      // Unknown here: maybe this replica lags behind the one that created it.
      const cur = await this.store.read(range(key));
      kv = cur.ok ? cur.kvs[0] : undefined;
    }
    for (let attempt = 1; attempt <= MAX_EDIT_ATTEMPTS; attempt++) {
      const body = kv ? parseBody(kv) : null;
      if (!kv || !body) throw new CardGoneError(id);
      const next = change(body);
      const guard: Compare = { key: toBytes(key), target: 'modRevision', result: 'equal', modRevision: kv.modRevision };
      const r = ok<TxnResult>(await this.store.propose(txn([guard], [put(key, JSON.stringify(next))], [range(key)])));
      if (r.succeeded) return { id, ...next, claim: this.card(id)?.claim ?? null, revision: r.revision };
      // Someone changed (or deleted) the card first: apply our change to what they wrote.
      kv = rangeOf(r, 0)?.kvs[0];
    }
    throw new ContendedError(id, MAX_EDIT_ATTEMPTS);
  }
}
