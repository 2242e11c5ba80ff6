/**
 * @module member-id
 * etcd names clusters and members by uint64; meshraft by strings. Decimal strings that fit a
 * uint64 pass through; any other id maps to its 64-bit FNV-1a hash, so each id always shows as
 * the same number.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;
const encoder = new TextEncoder();

/** Every response header carries two ids, and BigInt hashing is slow: remember recent ones. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 1024;

export function toEtcdId(id: string): string {
  const known = cache.get(id);
  if (known !== undefined) return known;
  const etcdId = computeEtcdId(id);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(id, etcdId);
  return etcdId;
}

function computeEtcdId(id: string): string {
  if (/^[0-9]{1,20}$/.test(id) && BigInt(id) <= U64) return BigInt(id).toString();
  let h = FNV_OFFSET;
  for (const b of encoder.encode(id)) h = ((h ^ BigInt(b)) * FNV_PRIME) & U64;
  return h.toString();
}
