/**
 * @module member-names
 * The names people type, replicated: one KV key per member (`name/<node id>`, the name as UTF-8),
 * so every tab shows everyone's name beside their id. A tab writes its key once it is a member
 * and again when its name changes; a tab that leaves deletes it.
 */
import { bytesToString, deleteRange, put, range, type KvCommand, type KvQuery, type KvQueryResult } from 'meshraft/kv';

const PREFIX = 'name/';
export const MAX_NAME = 40;

export const nameKey = (id: string): string => `${PREFIX}${id}`;

/** Every member's name this replica knows, by node id. */
export function memberNames(local: (q: KvQuery) => KvQueryResult): Map<string, string> {
  const out = new Map<string, string>();
  const r = local(range(PREFIX, { prefix: true }));
  if (!r.ok) return out;
  for (const kv of r.kvs) out.set(bytesToString(kv.key).slice(PREFIX.length), bytesToString(kv.value).slice(0, MAX_NAME));
  return out;
}

export const setNameCommand = (id: string, name: string): KvCommand => put(nameKey(id), name.slice(0, MAX_NAME));
export const clearNameCommand = (id: string): KvCommand => deleteRange(nameKey(id));

/** `Ada (tab-x1y2)`, or the id alone when the member has not published a name. */
export function displayName(id: string, names: ReadonlyMap<string, string>): string {
  const name = names.get(id);
  return name ? `${name} (${id})` : id;
}
