import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import type { HiddenPageApi } from '../fixtures/hidden-page.js';
import { call, openFixture, startSignaling } from '../fixtures/worker-e2e.js';

// Three tabs, one node each over WebRTC, tied to the page lifecycle (attachPageLifecycle).
let closeSignaling: (() => Promise<void>) | null = null;
test.afterEach(async () => {
  await closeSignaling?.();
  closeSignaling = null;
});

const h = <R, A>(page: Page, fn: (api: HiddenPageApi, arg: A) => R | Promise<R>, arg: A): Promise<R> => call(page, 'meshraftHidden', fn, arg);
const status = (page: Page) => h(page, (api) => api.status()!, null);

async function threeTabs(context: BrowserContext): Promise<Map<string, Page>> {
  const signaling = await startSignaling();
  closeSignaling = signaling.close;
  const room = `hidden-${Date.now()}`;
  const tabs = new Map<string, Page>();
  for (const id of ['a', 'b', 'c']) {
    const page = await context.newPage();
    await openFixture(page, 'hidden.html');
    await h(page, (api, [u, r, i, boot]) => api.joinMesh(u, r, i, boot), [signaling.url, room, id, id === 'a'] as const);
    tabs.set(id, page);
  }
  const voters = async (): Promise<string[]> => {
    const s = await status(tabs.get('a')!);
    return s.joint ? [] : s.members.filter((m) => m.role === 'voter').map((m) => m.id).sort();
  };
  await expect.poll(voters, { timeout: 60_000 }).toEqual(['a', 'b', 'c']);
  return tabs;
}

async function leaderOf(tabs: Map<string, Page>): Promise<{ id: string; term: number }> {
  let found: { id: string; term: number } | null = null;
  await expect
    .poll(async () => {
      const all = await Promise.all([...tabs.values()].map(status));
      const l = all.find((s) => s.role === 'leader');
      found = l && all.every((s) => s.leader === l.id) ? { id: l.id, term: l.term } : null;
      return found !== null;
    }, { timeout: 30_000 })
    .toBe(true);
  return found!;
}

test('a leader whose tab is hidden hands leadership to another tab', async ({ context }) => {
  const tabs = await threeTabs(context);
  const first = await leaderOf(tabs);
  const hiddenTab = tabs.get(first.id)!;
  await h(hiddenTab, (api) => api.setHidden(true), null);
  await expect.poll(async () => {
    const s = await status(hiddenTab);
    return s.role === 'follower' && s.leader !== null && s.leader !== first.id;
  }, { timeout: 30_000 }).toBe(true);
  const next = await leaderOf(tabs);
  expect(next.id).not.toBe(first.id);
  // The hidden tab still takes part: its proposal is forwarded to the new leader and commits.
  expect(await h(hiddenTab, (api) => api.add(3), null)).toBe(3);
  expect((await leaderOf(tabs)).id).toBe(next.id);
});

test('a frozen follower tab resuming does not disrupt the leader (term unchanged)', async ({ context }) => {
  const tabs = await threeTabs(context);
  const leader = await leaderOf(tabs);
  const followerId = [...tabs.keys()].find((id) => id !== leader.id)!;
  const follower = tabs.get(followerId)!;
  const leaderTab = tabs.get(leader.id)!;
  // Page.setWebLifecycleState {state:'frozen'} is accepted but freezes nothing on a page
  // Playwright manages (it keeps its pages active; page-lifecycle.spec.ts freezes tabs of a CDP-made
  // context for real); pausing the page's JavaScript in the debugger stops its timers and queues
  // its messages, as a freeze does.
  const cdp = await context.newCDPSession(follower);
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');
  // While it is frozen the other two commit (quorum 2 of 3) for longer than an election timeout.
  for (let i = 1; i <= 10; i++) {
    expect(await h(leaderTab, (api) => api.add(1), null)).toBe(i);
    await leaderTab.waitForTimeout(150);
  }
  await cdp.send('Debugger.resume');
  await cdp.send('Debugger.disable');
  const commit = (await status(leaderTab)).commit;
  await expect.poll(async () => (await status(follower)).applied, { timeout: 30_000 }).toBeGreaterThanOrEqual(commit);
  expect(await h(follower, (api) => api.gaps(), null)).toBeGreaterThan(0); // it really was frozen: its timers saw a gap
  // Give its stale election clock time to fire (the election timeout is 0.5-1 s here).
  await leaderTab.waitForTimeout(2_000);
  expect(await h(leaderTab, (api) => api.add(1), null)).toBe(11);
  const after = await leaderOf(tabs);
  expect(after).toEqual(leader);
  expect((await status(follower)).term).toBe(leader.term);
});
