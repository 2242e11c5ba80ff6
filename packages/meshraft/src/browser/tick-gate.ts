/**
 * @module tick-gate
 * Timers for createNode that can slow down or withhold the node's interval callbacks (its Raft
 * ticks and retry sweeps).
 * - After a timer gap (frozen, or throttled to one wake-up a minute): withheld for `quarantineMs`,
 *   or until the node hears from the leader (setLeaderContact), so the leader's heartbeat resets
 *   the stale election clock before it can fire.
 * - Held: only every `heldEvery`-th callback runs, so the node's election timeout is that many
 *   times longer than its peers'. Only for a hidden tab whose node has no campaign switch
 *   (attachPageLifecycle turns a MeshraftNode's off instead). Not withheld entirely: the core
 *   counts its CheckQuorum lease in ticks, and a follower without ticks would refuse every vote.
 */
import { systemTimers, type Timers } from '../node/index.js';
import { LifecycleInputError } from './errors.js';

export interface TickGateOptions {
  /** The clock underneath (default: the platform's). */
  readonly base?: Timers;
  /** Two firings of one interval further apart than this count as a timer gap (default 1000 ms). */
  readonly gapMs?: number;
  /** After a gap, callbacks are withheld this long (default 2000 ms: the default maximum election timeout). */
  readonly quarantineMs?: number;
  /** While held, one callback in this many runs (default 3; integer ≥ 1). */
  readonly heldEvery?: number;
}

export interface TickGate {
  /** Pass to `createNode({ timers })`. */
  readonly timers: Timers;
  /** Slow interval callbacks down (one in `heldEvery`) until release() (idempotent). */
  hold(): void;
  release(): void;
  /** Callbacks still run while this returns true (a leader must keep sending heartbeats). */
  setBypass(bypass: () => boolean): void;
  /**
   * When the node last heard from its leader (`status().lastLeaderContactMs`, same clock as
   * `base`): a contact at or after a gap ends that gap's quarantine early. Default: never.
   */
  setLeaderContact(contact: () => number | null): void;
  /** Whether callbacks are slowed or withheld right now (held, or quarantined after a gap). */
  withholding(): boolean;
  /** Timer gaps seen so far. */
  gaps(): number;
}

export function createTickGate(options: TickGateOptions = {}): TickGate {
  const base = options.base ?? systemTimers;
  const gapMs = options.gapMs ?? 1000;
  const quarantineMs = options.quarantineMs ?? 2000;
  const heldEvery = options.heldEvery ?? 3;
  for (const [name, v] of [['gapMs', gapMs], ['quarantineMs', quarantineMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new LifecycleInputError(`${name} must be a finite number ≥ 0, got ${v}`);
  }
  if (!Number.isInteger(heldEvery) || heldEvery < 1) throw new LifecycleInputError(`heldEvery must be an integer ≥ 1, got ${heldEvery}`);
  let held = false;
  let quarantineUntil = -Infinity;
  let gapAt = -Infinity;
  let gapCount = 0;
  let bypass: () => boolean = () => false;
  let leaderContact: () => number | null = () => null;
  const quarantined = (): boolean => {
    if (base.now() >= quarantineUntil) return false;
    const heard = leaderContact();
    if (heard === null || heard < gapAt) return true;
    quarantineUntil = -Infinity; // the leader's heartbeat has reset the election clock
    return false;
  };

  const timers: Timers = {
    now: () => base.now(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (h) => base.clearTimeout(h),
    setInterval(fn, ms) {
      let last = base.now();
      let skipped = 0;
      return base.setInterval(() => {
        const now = base.now();
        const gap = now - last;
        last = now;
        if (gap > Math.max(gapMs, 2 * ms)) {
          gapCount++;
          gapAt = now;
          quarantineUntil = Math.max(quarantineUntil, now + quarantineMs);
        }
        if (!bypass()) {
          if (quarantined()) return;
          if (held && ++skipped < heldEvery) return;
        }
        skipped = 0;
        fn();
      }, ms);
    },
    clearInterval: (h) => base.clearInterval(h),
  };
  return {
    timers,
    hold: () => void (held = true),
    release: () => void (held = false),
    setBypass: (fn) => void (bypass = fn),
    setLeaderContact: (fn) => void (leaderContact = fn),
    withholding: () => held || quarantined(),
    gaps: () => gapCount,
  };
}
