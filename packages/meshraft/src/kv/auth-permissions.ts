/**
 * @module auth-permissions
 * Whether a user's roles cover a key or key range, as etcd's range_perm_cache.go decides it: a
 * single key must lie in one permitted interval; a range must be covered by their union. A
 * permission without `rangeEnd` is the interval [key, key+"\0"), `\0` as `rangeEnd` is open.
 */
import { bytesToBinary, type Bytes } from './bytes.js';
import type { AuthRole, Permission } from './auth-types.js';

/** [start, end) over binary strings; `end` null is unbounded. */
interface Interval {
  readonly start: string;
  readonly end: string | null;
}

export type Access = 'read' | 'write';

const isOpenEnded = (end: Bytes | undefined): boolean => end !== undefined && end.length === 1 && end[0] === 0;

function permInterval(p: Permission): Interval {
  const start = bytesToBinary(p.key);
  if (p.rangeEnd === undefined || p.rangeEnd.length === 0) return { start, end: `${start}\0` };
  return { start, end: isOpenEnded(p.rangeEnd) ? null : bytesToBinary(p.rangeEnd) };
}

const grants = (p: Permission, access: Access): boolean => p.permType === 'readwrite' || p.permType === access;

/** The intervals the roles grant for `access`, sorted by start. */
export function grantedIntervals(roles: Iterable<AuthRole>, access: Access): Interval[] {
  const out: Interval[] = [];
  for (const role of roles) for (const p of role.perms) if (grants(p, access)) out.push(permInterval(p));
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Whether the sorted intervals cover `key` alone (no rangeEnd) or [key, rangeEnd). */
export function covers(intervals: readonly Interval[], key: Bytes, rangeEnd?: Bytes): boolean {
  const start = bytesToBinary(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) {
    return intervals.some((i) => i.start <= start && (i.end === null || start < i.end));
  }
  const end = isOpenEnded(rangeEnd) ? null : bytesToBinary(rangeEnd);
  // Sweep: advance `at` through intervals that start at or before it until the range is covered.
  let at = start;
  for (const i of intervals) {
    if (end !== null && at >= end) return true;
    if (i.start > at) return false;
    if (i.end === null) return true;
    if (i.end > at) at = i.end;
  }
  return end !== null && at >= end;
}
