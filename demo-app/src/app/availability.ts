/**
 * @module availability
 * Whether this tab can write, and in words why not. A write needs a leader that a majority of
 * voters can reach; without one the board turns read-only at once instead of letting edits hang
 * until their timeout.
 */
import type { NodeStatus } from 'meshraft';
import { displayName } from './member-names.js';

export interface Availability {
  readonly writable: boolean;
  /** Why the board is read-only (empty when writable). */
  readonly reason: string;
}

export interface AvailabilityInput {
  readonly status: NodeStatus;
  /** This tab cut itself off (the "Disconnect" control). */
  readonly partitioned: boolean;
  /** This tab left the cluster or its node stopped. */
  readonly left: boolean;
  /** The names people typed, by node id (member-names). */
  readonly names?: ReadonlyMap<string, string>;
}

const REACHABLE = new Set(['self', 'webrtc', 'relay', 'memory']);

/** `a`, `a and b`, `a, b and c`. */
function words(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function availability({ status, partitioned, left, names = new Map() }: AvailabilityInput): Availability {
  if (left || status.stopped) return { writable: false, reason: 'This tab has left the cluster. Reload to join again.' };
  const voters = status.members.filter((m) => m.role === 'voter');
  const me = status.members.find((m) => m.id === status.id);
  // The link's ?cluster= is not the board the room records: the tab joins neither (cluster-identity).
  const conflict = status.linkConflict;
  if (!me && conflict) {
    return {
      writable: false,
      reason: `This link names board ${conflict.linked.slice(0, 8)}…, but this room now holds board ${conflict.recorded.slice(0, 8)}…, so the tab does not join the link's board (its history is not the room's). Open the room without ?cluster= to join the room's board.`,
    };
  }
  if (!me) {
    return { writable: false, reason: 'Joining: waiting for the leader to add this tab to the cluster.' };
  }
  const majority = Math.floor(voters.length / 2) + 1;
  if (partitioned) {
    return {
      writable: false,
      reason: `This tab is disconnected (simulated partition): it reaches 1 of ${voters.length} voters, and a write needs ${majority}. Showing the last state it knows.`,
    };
  }
  // The node's own verdict (status().stuck): which voters it cannot reach, by name.
  const gone = status.stuck?.unreachableVoters;
  if (gone && gone.length > 0) {
    const who = words(gone.map((id) => displayName(id, names)));
    return {
      writable: false,
      reason: `${gone.length === 1 ? 'voter' : 'voters'} ${who} ${gone.length === 1 ? 'is' : 'are'} unreachable, and a write needs a majority (${majority} of ${voters.length} voters). It clears as soon as one of them returns.`,
    };
  }
  const reachable = voters.filter((m) => REACHABLE.has(m.link)).length;
  if (reachable < majority) {
    return {
      writable: false,
      reason: `Only ${reachable} of ${voters.length} voters are reachable; a write needs a majority (${majority}). Read-only until more come back.`,
    };
  }
  if (status.leader === null) {
    return { writable: false, reason: 'Electing a leader (no leader known right now). Read-only for a moment.' };
  }
  const leader = status.members.find((m) => m.id === status.leader);
  if (leader && !REACHABLE.has(leader.link)) {
    return { writable: false, reason: `The leader ${status.leader} is not reachable from this tab; waiting for a new election.` };
  }
  return { writable: true, reason: '' };
}
