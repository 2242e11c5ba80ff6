/**
 * @module member-attrs
 * The replicated member-attributes table: per node id, the name, peer URLs and client URLs that
 * etcd's Cluster RPCs show. etcd publishes a member's {name, clientURLs} through raft when it
 * starts and replicates new peerURLs on MemberUpdate; `memberAttrs` commands do both here. The
 * table is not tied to the Raft configuration (conf changes never reach the state machine):
 * entries of removed members are dropped by a `forget` command (the etcd layer's MemberRemove
 * proposes one) and otherwise kept, harmlessly, and filtered by current membership by readers.
 *
 * Bounds (so a command or snapshot cannot grow the state without limit): a node id or name of at
 * most MAX_MEMBER_TEXT characters, at most MAX_MEMBER_URLS URLs per list of at most
 * MAX_MEMBER_URL_LENGTH characters each, at most MAX_MEMBER_ATTRS_ENTRIES members recorded.
 */
import { KvError, KvErrorCode } from './kv-errors.js';

/** Longest node id or member name, in UTF-16 code units. */
export const MAX_MEMBER_TEXT = 256;
/** Most URLs in one peer or client URL list. */
export const MAX_MEMBER_URLS = 16;
/** Longest URL, in UTF-16 code units. */
export const MAX_MEMBER_URL_LENGTH = 512;
/** Most members the table records; a command for one more fails (KV_INVALID_COMMAND). */
export const MAX_MEMBER_ATTRS_ENTRIES = 1024;

/** What is recorded for one member; a field never set is absent. */
export interface MemberAttrs {
  readonly name?: string;
  readonly peerUrls?: readonly string[];
  readonly clientUrls?: readonly string[];
}

/**
 * Set the given fields of member `id` (others keep their recorded values), or with `forget`
 * drop its entry. Peer URLs another member has recorded fail with KV_PEER_URL_EXISTS.
 */
export interface MemberAttrsCommand extends MemberAttrs {
  readonly type: 'memberAttrs';
  readonly id: string;
  readonly forget?: boolean;
}

/** Changes no key, so the store revision stays. */
export interface MemberAttrsResult {
  readonly type: 'memberAttrs';
  readonly ok: true;
  readonly revision: number;
}

/** What readers may ask the table, without the means to change it. */
export interface MemberAttrsView {
  /** Members recorded. */
  readonly size: number;
  get(id: string): MemberAttrs | undefined;
  /** Every recorded member, in node id order. */
  list(): readonly (readonly [string, MemberAttrs])[];
}

type Fields = Record<string, unknown>;

function invalid(path: string, what: string): KvError {
  return new KvError(KvErrorCode.InvalidCommand, `${path}: ${what}`);
}

function text(x: unknown, path: string, allowEmpty: boolean): string {
  if (typeof x !== 'string') throw invalid(path, 'expected a string');
  if (!allowEmpty && x === '') throw invalid(path, 'expected a non-empty string');
  if (x.length > MAX_MEMBER_TEXT) throw invalid(path, `longer than ${MAX_MEMBER_TEXT} characters`);
  return x;
}

function urls(x: unknown, path: string): string[] {
  if (!Array.isArray(x)) throw invalid(path, 'expected an array of URLs');
  if (x.length > MAX_MEMBER_URLS) throw invalid(path, `more than ${MAX_MEMBER_URLS} URLs`);
  return x.map((u: unknown, i) => {
    if (typeof u !== 'string' || u === '') throw invalid(`${path}[${i}]`, 'expected a non-empty string');
    if (u.length > MAX_MEMBER_URL_LENGTH) throw invalid(`${path}[${i}]`, `longer than ${MAX_MEMBER_URL_LENGTH} characters`);
    return u;
  });
}

/** The recorded fields present in `f` (null or undefined: not given). */
function parseAttrs(f: Fields, path: string): MemberAttrs {
  const out: { name?: string; peerUrls?: string[]; clientUrls?: string[] } = {};
  if (f.name != null) out.name = text(f.name, `${path}.name`, true);
  if (f.peerUrls != null) out.peerUrls = urls(f.peerUrls, `${path}.peerUrls`);
  if (f.clientUrls != null) out.clientUrls = urls(f.clientUrls, `${path}.clientUrls`);
  return out;
}

/** Check an untyped `memberAttrs` command (its `type` already matched). */
export function parseMemberAttrsCommand(f: Fields): MemberAttrsCommand {
  const id = text(f.id, 'command.id', false);
  if (f.forget != null && typeof f.forget !== 'boolean') throw invalid('command.forget', 'expected a boolean');
  if (f.forget === true) return { type: 'memberAttrs', id, forget: true };
  return { type: 'memberAttrs', id, ...parseAttrs(f, 'command') };
}

export class MemberAttrsTable implements MemberAttrsView {
  #entries = new Map<string, MemberAttrs>();

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): MemberAttrs | undefined {
    return this.#entries.get(id);
  }

  list(): readonly (readonly [string, MemberAttrs])[] {
    return [...this.#entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Apply a parsed command; throws KvError and changes nothing when it cannot. */
  apply(cmd: MemberAttrsCommand): void {
    if (cmd.forget) {
      this.#entries.delete(cmd.id);
      return;
    }
    const prev = this.#entries.get(cmd.id);
    if (cmd.peerUrls) {
      const wanted = new Set(cmd.peerUrls);
      for (const [id, attrs] of this.#entries) {
        if (id !== cmd.id && attrs.peerUrls?.some((u) => wanted.has(u))) {
          throw new KvError(KvErrorCode.PeerUrlExists, 'peer URLs already exist');
        }
      }
    }
    if (!prev && this.#entries.size >= MAX_MEMBER_ATTRS_ENTRIES) {
      throw invalid('command.id', `the member table holds ${MAX_MEMBER_ATTRS_ENTRIES} members already`);
    }
    const { type: _type, id: _id, forget: _forget, ...given } = cmd;
    this.#entries.set(cmd.id, { ...prev, ...given });
  }

  /** The snapshot form: `[id, name|null, peerUrls|null, clientUrls|null]` per member in id order; undefined when empty. */
  encode(): unknown[] | undefined {
    if (this.#entries.size === 0) return undefined;
    return this.list().map(([id, a]) => [id, a.name ?? null, a.peerUrls ?? null, a.clientUrls ?? null]);
  }

  /** Replace the table with one `decodeMemberAttrs` returned. */
  load(entries: ReadonlyMap<string, MemberAttrs>): void {
    this.#entries = new Map(entries);
  }
}

/** A snapshot's table (undefined: empty), checked as commands are; KV_INVALID_SNAPSHOT on bad data. */
export function decodeMemberAttrs(data: unknown): ReadonlyMap<string, MemberAttrs> {
  const out = new Map<string, MemberAttrs>();
  if (data === undefined) return out;
  try {
    if (!Array.isArray(data) || data.length > MAX_MEMBER_ATTRS_ENTRIES) throw invalid('members', 'expected a bounded array');
    for (const [i, e] of (data as unknown[]).entries()) {
      if (!Array.isArray(e) || e.length !== 4) throw invalid(`members[${i}]`, 'expected four fields');
      out.set(text(e[0], `members[${i}].id`, false), parseAttrs({ name: e[1], peerUrls: e[2], clientUrls: e[3] }, `members[${i}]`));
    }
  } catch (err) {
    throw new KvError(KvErrorCode.InvalidSnapshot, `not a KV snapshot: ${(err as Error).message}`, { cause: err });
  }
  return out;
}
