import { afterEach, describe, expect, it } from 'vitest';
import { FAST_TIMING, testCluster, waitFor, type TestCluster } from '../node/__tests__/cluster.js';
import { systemTimers, type NodeStatus, type Timers } from '../node/index.js';
import { LifecycleInputError } from './errors.js';
import { attachPageLifecycle, pickTransferTarget, type LifecycleDocument } from './page-lifecycle.js';
import { createTickGate } from './tick-gate.js';

/** A document whose visibility the test sets, and a window; both real EventTargets. */
function fakePage(): { document: LifecycleDocument & EventTarget; window: EventTarget; setHidden(h: boolean): void } {
  let state = 'visible';
  const doc = Object.assign(new EventTarget(), {}) as EventTarget & { visibilityState: string };
  Object.defineProperty(doc, 'visibilityState', { get: () => state });
  return {
    document: doc as LifecycleDocument & EventTarget,
    window: new EventTarget(),
    setHidden(h) {
      state = h ? 'hidden' : 'visible';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

const VOTERS = ['a', 'b', 'c'];

/** Platform timers that count the node's Raft ticks (its tickMs interval firings). */
function countingTimers(): { timers: Timers; ticks(): number } {
  let ticks = 0;
  return {
    timers: {
      ...systemTimers,
      setInterval: (fn, ms) =>
        systemTimers.setInterval(() => {
          if (ms === FAST_TIMING.tickMs) ticks++;
          fn();
        }, ms),
    },
    ticks: () => ticks,
  };
}

/** Three voters, each with a fake page, a tick gate and the lifecycle attached. */
async function tabCluster(c: TestCluster, onError?: (err: unknown) => void): Promise<Map<string, ReturnType<typeof fakePage>>> {
  const pages = new Map(VOTERS.map((id) => [id, fakePage()]));
  const gates = new Map(VOTERS.map((id) => [id, createTickGate()]));
  await Promise.all(VOTERS.map((id) => c.start(id, { bootstrap: { voters: VOTERS }, timers: gates.get(id)!.timers })));
  for (const id of VOTERS) attachPageLifecycle(c.node(id), { ...pages.get(id)!, gate: gates.get(id)!, ...(onError && { onError }) });
  return pages;
}

describe('attachPageLifecycle', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => cluster?.stopAll());

  it('a leader whose tab is hidden hands leadership over; the hidden tab does not end up leader', async () => {
    cluster = testCluster(21);
    const c = cluster;
    const pages = await tabCluster(c);
    const first = await c.leader();
    await first.propose({ type: 'add', delta: 1 });

    pages.get(first.id)!.setHidden(true);
    const next = await waitFor(() => {
      const l = VOTERS.map((id) => c.node(id)).find((n) => n.status().role === 'leader');
      return l && l.id !== first.id ? l : undefined;
    }, 'leadership moved off the hidden tab');
    expect(first.status().role).toBe('follower');
    // The cluster keeps committing with the hidden node as a follower.
    expect(await next.propose({ type: 'add', delta: 1 })).toMatchObject({ value: 2 });
    // With the new leader gone, the hidden tab's vote is needed; leadership ends on the visible
    // voter (if the hidden tab wins the election it hands over at once).
    await c.node(next.id).stop();
    const third = VOTERS.find((id) => id !== first.id && id !== next.id)!;
    await waitFor(() => c.node(third).status().role === 'leader' && first.status().leader === third, 'the visible voter leads');
    expect(first.status().role).toBe('follower');
    expect(await first.propose({ type: 'add', delta: 1 })).toMatchObject({ value: 3 });
  });

  it('a hidden leader hands over to the visible tab, never to a hidden one that would ignore it', async () => {
    cluster = testCluster(26);
    const c = cluster;
    const failures: unknown[] = [];
    const pages = await tabCluster(c, (e) => failures.push(e));
    const leader = await c.leader();
    await leader.propose({ type: 'add', delta: 1 });
    // The follower the leader would pick first (members in configuration order, equally caught
    // up) is hidden: three tabs in one window, only one of them visible.
    const [hiddenPeer, visible] = VOTERS.filter((id) => id !== leader.id) as [string, string];
    pages.get(hiddenPeer)!.setHidden(true);
    await waitFor(() => leader.status().members.find((m) => m.id === hiddenPeer)?.campaign === false, 'the leader learns the peer is hidden');
    expect(leader.status().members.find((m) => m.id === visible)?.campaign).toBe(true);

    pages.get(leader.id)!.setHidden(true);
    await waitFor(() => c.node(visible).status().role === 'leader', 'the visible tab leads');
    expect(failures).toEqual([]); // no attempt on the hidden tab (it would time out with NO_QUORUM)
    expect(await leader.propose({ type: 'add', delta: 1 })).toMatchObject({ value: 2 });

    // Every tab hidden: the leader stays (nobody would take over), and writes keep committing.
    pages.get(visible)!.setHidden(true);
    await waitFor(() => VOTERS.every((id) => c.node(visible).status().members.find((m) => m.id === id)?.campaign === false), 'all hidden');
    expect(await c.node(hiddenPeer).propose({ type: 'add', delta: 1 })).toMatchObject({ value: 3 });
    expect(c.node(visible).status().role).toBe('leader');
    // One tab shows again: the hidden leader hands over to it.
    pages.get(hiddenPeer)!.setHidden(false);
    await waitFor(() => c.node(hiddenPeer).status().role === 'leader', 'the tab shown again leads');
    expect(failures).toEqual([]);
  });

  it('hidden followers never campaign without a leader, still vote, and the tab elects once visible', async () => {
    cluster = testCluster(25);
    const c = cluster;
    const counters = new Map(VOTERS.map((id) => [id, countingTimers()]));
    const gates = new Map(VOTERS.map((id) => [id, createTickGate({ base: counters.get(id)!.timers })]));
    await Promise.all(VOTERS.map((id) => c.start(id, { bootstrap: { voters: VOTERS }, timers: gates.get(id)!.timers })));
    const leader = await c.leader();
    await leader.propose({ type: 'add', delta: 1 });
    const [b, d] = VOTERS.filter((id) => id !== leader.id);
    const pages = new Map([b!, d!].map((id) => [id, fakePage()]));
    for (const id of [b!, d!]) {
      attachPageLifecycle(c.node(id), { ...pages.get(id)!, gate: gates.get(id)! });
      pages.get(id)!.setHidden(true);
      expect(c.node(id).status().campaign).toBe(false);
    }
    const roles: string[] = [];
    for (const id of [b!, d!]) c.node(id).on('role', (r) => roles.push(`${id}:${r}`));
    const term = c.node(b!).status().term;

    // The leader dies. Both remaining voters are hidden: for five maximum election timeouts of
    // their own ticks, neither even pre-campaigns.
    await leader.stop();
    const from = counters.get(b!)!.ticks();
    await waitFor(() => counters.get(b!)!.ticks() - from >= 5 * 2 * FAST_TIMING.electionTicks, 'five election timeouts of ticks');
    expect(roles).toEqual([]);
    expect(c.node(b!).status()).toMatchObject({ role: 'follower', term });
    expect(c.node(d!).status()).toMatchObject({ role: 'follower', term });

    // b's tab becomes visible: it campaigns, the still-hidden d votes for it, and the two commit.
    pages.get(b!)!.setHidden(false);
    expect(c.node(b!).status().campaign).toBe(true);
    await waitFor(() => c.node(b!).status().role === 'leader' && c.node(d!).status().leader === b, 'the visible tab leads');
    expect(roles.filter((r) => r.startsWith(`${d}:`))).toEqual([]);
    expect(await c.node(d!).propose({ type: 'add', delta: 1 })).toMatchObject({ value: 2 });
  });

  it('a hidden tab refuses a transfer; without a campaign switch one made leader hands over again', async () => {
    cluster = testCluster(22);
    const c = cluster;
    await Promise.all(VOTERS.map((id) => c.start(id, { bootstrap: { voters: VOTERS } })));
    const leader = await c.leader();
    const target = VOTERS.find((id) => id !== leader.id)!;
    const node = c.node(target);
    const page = fakePage();
    page.setHidden(true);
    let lifecycle = attachPageLifecycle(node, page);
    expect(lifecycle.hidden()).toBe(true);
    const term = leader.status().term;
    await expect(leader.transferLeadership(target, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'NO_QUORUM' });
    expect(leader.status()).toMatchObject({ role: 'leader', term });
    lifecycle.detach();
    expect(node.status().campaign).toBe(true);

    // A node that cannot switch campaigning off (here: setCampaign hidden) takes the transfer...
    const bare = { status: () => node.status(), transferLeadership: node.transferLeadership.bind(node), on: node.on.bind(node) };
    lifecycle = attachPageLifecycle(bare, page);
    await leader.transferLeadership(target).catch(() => {}); // may resolve or time out: it moves on at once
    // ...and hands leadership over again.
    await waitFor(() => VOTERS.some((id) => id !== target && c.node(id).status().role === 'leader'), 'leadership left the hidden tab');
    lifecycle.detach();
  });

  it('hands over on pagehide and beforeunload', async () => {
    cluster = testCluster(23);
    const c = cluster;
    await Promise.all(VOTERS.map((id) => c.start(id, { bootstrap: { voters: VOTERS } })));
    for (const event of ['pagehide', 'beforeunload']) {
      const leader = await c.leader();
      const page = fakePage();
      const lifecycle = attachPageLifecycle(leader, page);
      // A pagehide into the back/forward cache (persisted): a hand-over, and no departure.
      page.window.dispatchEvent(Object.assign(new Event(event), { persisted: true }));
      await waitFor(() => VOTERS.some((id) => id !== leader.id && c.node(id).status().role === 'leader'), `a new leader after ${event}`);
      lifecycle.detach();
    }
  });

  it('picks the most caught-up reachable voter, and nobody when there is none', () => {
    const base: NodeStatus = { id: 'a', cluster: 't', role: 'leader', term: 2, leader: 'a', commit: 9, applied: 9, joint: false, stopped: false, members: [] };
    const m = (id: string, role: 'voter' | 'learner', link: 'webrtc' | 'down' | 'self', match: number | null, rttMs: number | null = 5) => ({ id, role, link, match, rttMs });
    expect(pickTransferTarget({ ...base, members: [m('a', 'voter', 'self', 9), m('b', 'voter', 'webrtc', 7), m('c', 'voter', 'webrtc', 9), m('d', 'learner', 'webrtc', 9)] })).toBe('c');
    expect(pickTransferTarget({ ...base, members: [m('b', 'voter', 'webrtc', 9, 50), m('c', 'voter', 'webrtc', 9, 5)] })).toBe('c');
    expect(pickTransferTarget({ ...base, members: [m('a', 'voter', 'self', 9), m('b', 'voter', 'down', 9), m('c', 'learner', 'webrtc', 9)] })).toBe(null);
    // A voter that said it will not campaign is skipped; one that said nothing (null) is not.
    const hidden = { ...m('c', 'voter', 'webrtc', 9), campaign: false };
    expect(pickTransferTarget({ ...base, members: [hidden, { ...m('b', 'voter', 'webrtc', 7), campaign: null }] })).toBe('b');
    expect(pickTransferTarget({ ...base, members: [m('a', 'voter', 'self', 9), hidden] })).toBe(null);
  });

  it('rejects a missing document or window with LIFECYCLE_INPUT', async () => {
    cluster = testCluster(24);
    const node = await cluster.start('a', { bootstrap: true });
    expect(() => attachPageLifecycle(node, { document: undefined as unknown as LifecycleDocument, window: new EventTarget() })).toThrow(LifecycleInputError);
    // A lone voter has nobody to hand over to: nothing happens.
    const page = fakePage();
    const lifecycle = attachPageLifecycle(node, page);
    await waitFor(() => node.status().role === 'leader', 'lone voter leads');
    expect(await lifecycle.handOver()).toBe(null);
  });
});
