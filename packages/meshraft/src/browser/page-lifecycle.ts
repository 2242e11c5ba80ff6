/**
 * @module page-lifecycle
 * Ties a node in a tab to the page lifecycle (issue 6): a leader whose tab is being hidden or
 * closed hands leadership to the best voter first, and a hidden tab neither campaigns (its node's
 * campaign switch is off; it still votes) nor stays leader. Browsers throttle hidden pages' timers (down to one wake-up a minute) and freeze
 * them; a leader there would stall the cluster, a follower there would campaign on a stale clock.
 */
import type { NodeId } from '@meshraft/core';
import type { MeshraftNode, NodeStatus } from '../node/index.js';
import { LifecycleInputError } from './errors.js';
import type { TickGate } from './tick-gate.js';

type Listener = (event: unknown) => void;
interface EventSource {
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
}
/** The part of `document` used: visibility and its events (`visibilitychange`, `freeze`, `resume`). */
export interface LifecycleDocument extends EventSource {
  readonly visibilityState: string;
}
/** The part of `window` used: `pagehide`, `beforeunload`. */
export type LifecycleWindow = EventSource;

/**
 * The node methods used (a MeshraftNode fits). Without `setCampaign` a hidden node can still
 * campaign; the tick gate's `hold` then only slows it down.
 */
export type LifecycleNode = Pick<MeshraftNode, 'status' | 'transferLeadership' | 'on'> & Partial<Pick<MeshraftNode, 'setCampaign' | 'depart'>>;

export interface PageLifecycleOptions {
  readonly document: LifecycleDocument;
  readonly window: LifecycleWindow;
  /**
   * The tick gate whose `timers` the node was created with. Its gap quarantine keeps a visible
   * tab that was frozen from ticking on a stale clock until the leader's first heartbeat; it is
   * bypassed while the node leads and while the tab is hidden (the campaign switch is off, and
   * the election clock must run so the CheckQuorum lease expires and the node votes). Held
   * (slowed) while hidden only for a node without `setCampaign`.
   */
  readonly gate?: TickGate;
  /** Timeout of each hand-over attempt (default 2000 ms). */
  readonly transferTimeoutMs?: number;
  /** Called when a hand-over fails (no voter reachable, timeout...); default: ignored. */
  readonly onError?: (err: unknown) => void;
}

export interface PageLifecycle {
  /** Whether the page is hidden (or frozen) as far as the lifecycle knows. */
  hidden(): boolean;
  /** Hands leadership to the best voter if this node leads; resolves with the target (null: nothing done). */
  handOver(): Promise<NodeId | null>;
  /** Removes the listeners and releases the gate. */
  detach(): void;
}

/**
 * The voter to hand leadership to: a reachable voter other than this node that has not said it
 * will not campaign (a hidden tab ignores the TimeoutNow, and the leader would refuse proposals
 * until the transfer times out), most caught up (`match`, known on the leader), then lowest RTT.
 * Null when there is none: a hidden leader is better than a stalled one.
 */
export function pickTransferTarget(status: NodeStatus): NodeId | null {
  const candidates = status.members.filter(
    (m) => m.role === 'voter' && m.id !== status.id && m.link !== 'down' && m.link !== 'connecting' && m.campaign !== false,
  );
  candidates.sort((x, y) => (y.match ?? -1) - (x.match ?? -1) || (x.rttMs ?? Infinity) - (y.rttMs ?? Infinity));
  return candidates[0]?.id ?? null;
}

export function attachPageLifecycle(node: LifecycleNode, options: PageLifecycleOptions): PageLifecycle {
  const { document: doc, window: win, gate } = options ?? ({} as PageLifecycleOptions);
  if (typeof doc?.addEventListener !== 'function' || typeof win?.addEventListener !== 'function') {
    throw new LifecycleInputError('attachPageLifecycle needs { document, window }');
  }
  const transferTimeoutMs = options.transferTimeoutMs ?? 2000;
  const onError = options.onError ?? (() => {});
  let hidden = doc.visibilityState === 'hidden';
  let frozen = false;
  let inFlight: Promise<NodeId | null> | null = null;
  let canSwitch = typeof node.setCampaign === 'function';

  gate?.setBypass(() => (canSwitch && (hidden || frozen)) || node.status().role === 'leader');
  gate?.setLeaderContact(() => node.status().lastLeaderContactMs ?? null);

  /** Flips the node's campaign switch; false if the node cannot (the gate's hold stands in). */
  function setCampaign(enabled: boolean): boolean {
    if (!canSwitch) return false;
    try {
      node.setCampaign?.(enabled);
      return true;
    } catch (err) {
      canSwitch = false;
      onError(err);
      return false;
    }
  }

  function handOver(): Promise<NodeId | null> {
    if (inFlight) return inFlight;
    const status = node.status();
    if (status.stopped || status.role !== 'leader') return Promise.resolve(null);
    const target = pickTransferTarget(status);
    if (target === null) return Promise.resolve(null);
    inFlight = node
      .transferLeadership(target, { timeoutMs: transferTimeoutMs })
      .then(
        () => target,
        (err: unknown) => {
          onError(err);
          return null;
        },
      )
      .finally(() => (inFlight = null));
    return inFlight;
  }

  function update(): void {
    const away = hidden || frozen;
    if (away) {
      if (!setCampaign(false)) gate?.hold();
      void handOver();
    } else {
      setCampaign(true);
      gate?.release();
    }
  }

  const onVisibility: Listener = () => {
    hidden = doc.visibilityState === 'hidden';
    update();
  };
  const onFreeze: Listener = () => {
    frozen = true;
    update();
  };
  const onResume: Listener = () => {
    frozen = false;
    update();
  };
  // The page is going away: hand over now; the TimeoutNow usually leaves before the page dies.
  const onLeave: Listener = () => void handOver();
  // pagehide that does not keep the page (not the back/forward cache): closed or reloading. The
  // node says it is departing, so the leader removes it now rather than after the grace period;
  // a reload comes back with its log and joins again as a learner.
  const onPageHide: Listener = (event) => {
    void handOver();
    if ((event as { persisted?: unknown } | null)?.persisted === true) return;
    try {
      node.depart?.();
    } catch (err) {
      onError(err);
    }
  };

  const subscriptions: Array<[EventSource, string, Listener]> = [
    [doc, 'visibilitychange', onVisibility],
    [doc, 'freeze', onFreeze],
    [doc, 'resume', onResume],
    [win, 'pagehide', onPageHide],
    [win, 'beforeunload', onLeave],
  ];
  for (const [target, type, listener] of subscriptions) target.addEventListener(type, listener);
  // A hidden node can still become leader (it won an election, or got a transfer): hand over
  // again; a failed attempt is retried on the next status change.
  const offRole = node.on('status', (s) => {
    if (s.role === 'leader' && (hidden || frozen)) void handOver();
  });
  update();

  return {
    hidden: () => hidden || frozen,
    handOver,
    detach() {
      for (const [target, type, listener] of subscriptions) target.removeEventListener(type, listener);
      offRole();
      setCampaign(true);
      gate?.release();
      gate?.setBypass(() => false);
      gate?.setLeaderContact(() => null);
    },
  };
}
