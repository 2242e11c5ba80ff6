/**
 * @module conf-change
 * Membership changes (Raft thesis §4; etcd's confchange). A ConfChange is a list of single
 * changes. One voter added or removed is the simple path (§4.1, one server at a time). Anything
 * more enters a joint configuration C_old,new (§4.3) in which every decision needs majorities of
 * both; it is left automatically once C_old,new is applied (transition 'auto') or by proposing an
 * empty ConfChange ('explicit'). The ConfChange travels in Entry.data of EntryType.ConfChange.
 */
import { MeshraftError } from './errors.js';
import { JointConfig, MajorityConfig } from './quorum.js';
import { InvalidArgumentError } from './raft-errors.js';
import type { TrackerConfig } from './tracker.js';
import type { NodeId } from './types.js';

export type ConfChangeType = 'addVoter' | 'addLearner' | 'remove';

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly node: NodeId;
}

/**
 * `changes` empty means "leave the joint configuration". `transition`: 'auto' (default) uses
 * the simple path when possible and otherwise a joint config left automatically; 'explicit'
 * always enters a joint config and waits for an empty ConfChange to leave it.
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeSingle[];
  readonly transition?: 'auto' | 'explicit';
}

/** A conf change that cannot be applied to the current configuration. */
export class InvalidConfChangeError extends MeshraftError {
  constructor(message: string) {
    super('INVALID_CONF_CHANGE', message);
  }
}

const TYPES: ReadonlySet<string> = new Set<ConfChangeType>(['addVoter', 'addLearner', 'remove']);

/** Checks the shape of untrusted input. */
export function validateConfChange(cc: unknown): ConfChange {
  if (typeof cc !== 'object' || cc === null) throw new InvalidArgumentError('conf change must be an object');
  const o = cc as { changes?: unknown; transition?: unknown };
  if (!Array.isArray(o.changes)) throw new InvalidArgumentError('conf change needs a changes array');
  for (const c of o.changes as unknown[]) {
    const s = c as { type?: unknown; node?: unknown };
    if (typeof c !== 'object' || c === null || typeof s.type !== 'string' || !TYPES.has(s.type)) {
      throw new InvalidArgumentError('each change needs type addVoter | addLearner | remove');
    }
    if (typeof s.node !== 'string' || s.node === '') throw new InvalidArgumentError('each change needs a node id');
  }
  if (o.transition !== undefined && o.transition !== 'auto' && o.transition !== 'explicit') {
    throw new InvalidArgumentError("transition must be 'auto' or 'explicit'");
  }
  const out: ConfChange = {
    changes: (o.changes as ConfChangeSingle[]).map((c) => ({ type: c.type, node: c.node })),
  };
  return o.transition === undefined ? out : { ...out, transition: o.transition };
}

/** Encodes as JSON bytes: small, rare, and readable in log dumps. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(validateConfChange(cc)));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new InvalidArgumentError(`conf change entry is not valid JSON: ${String(err)}`);
  }
  return validateConfChange(parsed);
}

/** Whether `cc` goes through a joint configuration (and whether that one is left automatically). */
export function usesJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  const explicit = cc.transition === 'explicit';
  if (explicit) return { joint: true, autoLeave: false };
  return { joint: cc.changes.length > 1, autoLeave: true };
}

interface MutableConfig {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function copy(c: TrackerConfig): MutableConfig {
  return {
    incoming: new Set(c.voters.incoming.ids),
    outgoing: new Set(c.voters.outgoing.ids),
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

function freeze(c: MutableConfig): TrackerConfig {
  return {
    voters: new JointConfig(new MajorityConfig(c.incoming), new MajorityConfig(c.outgoing)),
    learners: c.learners,
    learnersNext: c.learnersNext,
    autoLeave: c.autoLeave,
  };
}

function applyChanges(c: MutableConfig, changes: readonly ConfChangeSingle[]): void {
  for (const ch of changes) {
    const id = ch.node;
    switch (ch.type) {
      case 'addVoter':
        c.learners.delete(id);
        c.learnersNext.delete(id);
        c.incoming.add(id);
        break;
      case 'addLearner':
        if (c.learners.has(id)) break;
        c.incoming.delete(id);
        c.learnersNext.delete(id);
        // A voter of the outgoing config stays a voter until the joint config is left.
        if (c.outgoing.has(id)) c.learnersNext.add(id);
        else c.learners.add(id);
        break;
      case 'remove':
        c.incoming.delete(id);
        c.learners.delete(id);
        c.learnersNext.delete(id);
        break;
    }
  }
  if (c.incoming.size === 0) throw new InvalidConfChangeError('the change removes every voter');
}

function isJoint(c: TrackerConfig): boolean {
  return c.voters.outgoing.size > 0;
}

/**
 * The configuration after applying `cc` to `cur`. Throws InvalidConfChangeError if `cc` does not
 * fit (entering a joint config while joint, leaving when not joint, changing more than one
 * voter on the simple path, removing every voter).
 */
export function changeConfig(cur: TrackerConfig, cc: ConfChange): TrackerConfig {
  if (cc.changes.length === 0) {
    if (!isJoint(cur)) throw new InvalidConfChangeError('not in a joint configuration: nothing to leave');
    const c = copy(cur);
    for (const id of c.learnersNext) c.learners.add(id);
    c.learnersNext.clear();
    c.outgoing.clear();
    c.autoLeave = false;
    return freeze(c);
  }
  if (isJoint(cur)) throw new InvalidConfChangeError('already in a joint configuration: leave it first');
  const { joint, autoLeave } = usesJoint(cc);
  const c = copy(cur);
  if (joint) {
    if (c.incoming.size === 0) throw new InvalidConfChangeError('cannot enter a joint configuration from no voters');
    c.outgoing = new Set(c.incoming);
    applyChanges(c, cc.changes);
    c.autoLeave = autoLeave;
    return freeze(c);
  }
  applyChanges(c, cc.changes);
  // Simple path: at most one voter may differ, or two majorities could disagree (§4.1).
  let diff = 0;
  for (const id of c.incoming) if (!cur.voters.incoming.has(id)) diff++;
  for (const id of cur.voters.incoming.ids) if (!c.incoming.has(id)) diff++;
  if (diff > 1) throw new InvalidConfChangeError('more than one voter changed: use a joint change');
  c.autoLeave = false;
  return freeze(c);
}
