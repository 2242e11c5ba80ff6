import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, tabUrl, waitForCluster, type TabStatus } from '../support/demo-tabs.js';
import { openTabWindows, type TabWindows, type WindowTab } from '../support/window-tabs.js';

// attachPageLifecycle (meshraft/browser) in the demo, in real Chromium with nothing mocked: tabs
// are hidden by putting another tab in front of them in their window, frozen with
// Page.setWebLifecycleState, and closed with page.close() (see support/window-tabs.ts for why
// the hidden/frozen tabs are not Playwright pages).
let windows: TabWindows | null = null;
test.afterEach(async () => {
  await windows?.close();
  windows = null;
});

/** Waits until every tab names the same leader, one `accept` takes; returns its id. */
const agreedLeader = (tabs: readonly WindowTab[], message: string, accept: (leader: string) => boolean): Promise<string> =>
  waitForCluster(tabs, 3, { timeout: 30_000, leader: accept, message });

/** The campaign switch of every member as `leader` reports it, by id. */
async function campaignSeenBy(leader: WindowTab): Promise<Record<string, boolean | null>> {
  const s: TabStatus = await leader.status();
  return Object.fromEntries(s.members.map((m) => [m.id, m.campaign]));
}

/** One write from every tab commits and every tab reads all of them back (linearizable reads). */
async function writesCommitFromEvery(tabs: readonly WindowTab[], prefix: string): Promise<void> {
  await Promise.all(tabs.map((t, i) => t.put(`${prefix}${i}`, `v${i}`)));
  for (const t of tabs) {
    for (let i = 0; i < tabs.length; i++) expect(await t.get(`${prefix}${i}`), `${prefix}${i} read on ${(await t.status()).id}`).toBe(`v${i}`);
  }
}

/** Three visible tabs, each the front tab of its own window with a blank tab behind it. */
async function threeWindows(w: TabWindows, url: string): Promise<{ tabs: WindowTab[]; covers: WindowTab[] }> {
  const tabs: WindowTab[] = [];
  const covers: WindowTab[] = [];
  for (let i = 0; i < 3; i++) {
    // The first tab founds ("New board"); the others join it.
    const tab = await w.open(i === 0 ? `${url}&found=1` : url);
    tabs.push(tab);
    covers.push(await w.open('about:blank', { behind: tab, api: false }));
    // The founder must exist before the others look at the room.
    if (i === 0) await expect.poll(async () => (await tab.status()).role, { timeout: 20_000 }).toBe('leader');
  }
  await waitForCluster(tabs, 3);
  expect(await Promise.all(tabs.map((t) => t.visibility())), 'every demo tab is the front tab of its window').toEqual(['visible', 'visible', 'visible']);
  return { tabs, covers };
}

test("the leader's tab is hidden: leadership moves to a visible tab and writes from every tab keep committing", async ({ browser, demo }) => {
  windows = await openTabWindows(browser);
  const { tabs, covers } = await threeWindows(windows, tabUrl(demo.origin, freshRoom('lc-hide')));
  const ids = await Promise.all(tabs.map(async (t) => (await t.status()).id));
  const old = ids.indexOf((await tabs[0]!.status()).leader!);
  expect(old, 'a leader among the tabs').toBeGreaterThanOrEqual(0);

  await covers[old]!.activate();
  expect(await tabs[old]!.visibility(), "the leader's tab is behind another tab of its window").toBe('hidden');
  const next = await agreedLeader(tabs, "the hidden leader's tab should hand leadership to a visible tab", (l) => l !== ids[old]);
  expect(await tabs[ids.indexOf(next)]!.visibility(), 'the new leader is a visible tab').toBe('visible');
  expect((await campaignSeenBy(tabs[ids.indexOf(next)]!))[ids[old]!], 'the new leader knows the hidden tab will not campaign').toBe(false);

  // The hidden tab still takes part: its write is forwarded to the new leader.
  await writesCommitFromEvery(tabs, 'hide-');
  expect((await tabs[old]!.status()).role, 'the hidden tab did not take leadership back').not.toBe('leader');
});

test("the leader's tab is frozen: leadership moves to a visible tab; resumed, the tab follows and writes again", async ({ browser, demo }) => {
  windows = await openTabWindows(browser);
  const { tabs, covers } = await threeWindows(windows, tabUrl(demo.origin, freshRoom('lc-freeze')));
  const ids = await Promise.all(tabs.map(async (t) => (await t.status()).id));
  const old = ids.indexOf((await tabs[0]!.status()).leader!);
  expect(old, 'a leader among the tabs').toBeGreaterThanOrEqual(0);
  const frozen = tabs[old]!;
  const others = tabs.filter((t) => t !== frozen);

  // Chromium hides the page first (visibilitychange), then fires `freeze` and stops its tasks.
  await frozen.setLifecycle('frozen');
  const next = await agreedLeader(others, 'the visible tabs should agree on a new leader while the old one is frozen', (l) => l !== ids[old]);
  await writesCommitFromEvery(others, 'frozen-');
  const term = (await others[0]!.status()).term;

  await frozen.setLifecycle('active');
  // Resuming leaves the page hidden; switching tabs in its window makes it visible again.
  await covers[old]!.activate();
  await frozen.activate();
  expect(await frozen.visibility(), 'the resumed tab is in front again').toBe('visible');
  await agreedLeader(tabs, 'the resumed tab should follow the leader elected while it was frozen', (l) => l === next);
  await writesCommitFromEvery(tabs, 'resumed-');
  // The resumed tab woke on a stale clock but did not start an election.
  expect((await Promise.all(tabs.map((t) => t.status()))).map((s) => s.term), 'no election after the resume').toEqual([term, term, term]);
});

test('three tabs in one window: the hidden tabs announce they will not campaign and leadership follows the visible tab', async ({ browser, demo }) => {
  windows = await openTabWindows(browser);
  const url = tabUrl(demo.origin, freshRoom('lc-window'));
  const a = await windows.open(`${url}&found=1`);
  await expect.poll(async () => (await a.status()).role, { timeout: 20_000 }).toBe('leader');
  const b = await windows.open(url, { behind: a });
  const c = await windows.open(url, { behind: a });
  const tabs = [a, b, c];
  const leader = await waitForCluster(tabs, 3);
  const [idA, idB, idC] = await Promise.all(tabs.map(async (t) => (await t.status()).id));
  expect(await Promise.all(tabs.map((t) => t.visibility())), 'only the front tab of the window is visible').toEqual(['visible', 'hidden', 'hidden']);
  expect(leader, 'the visible founder still leads: hidden tabs never campaign').toBe(idA);
  await expect
    .poll(() => campaignSeenBy(a), { timeout: 20_000, message: "the leader's members should show the hidden tabs' campaign switch off" })
    .toEqual({ [idA!]: true, [idB!]: false, [idC!]: false });

  // B comes to the front: A is hidden now and must hand over to B, the only voter that will
  // take it (C ignores a TimeoutNow while hidden).
  await b.activate();
  expect(await Promise.all(tabs.map((t) => t.visibility())), 'B is the front tab now').toEqual(['hidden', 'visible', 'hidden']);
  await agreedLeader(tabs, 'leadership should move to the visible tab B', (l) => l === idB);
  await expect
    .poll(() => campaignSeenBy(b), { timeout: 20_000, message: "the new leader's members should show A and C hidden, B campaigning" })
    .toEqual({ [idA!]: false, [idB!]: true, [idC!]: false });
  await writesCommitFromEvery(tabs, 'window-');
  expect((await b.status()).leader, 'leadership stayed on the visible tab').toBe(idB);
});

test("the leader's tab closes (pagehide): a new leader takes over and the tab's acknowledged writes are there", async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('lc-close'), 3)));
  const leaderId = await waitForCluster(tabs, 3);
  const statuses = await Promise.all(tabs.map((t) => t.status()));
  const leader = tabs[statuses.findIndex((s) => s.id === leaderId)]!;
  const rest = tabs.filter((t) => t !== leader);
  const oldTerm = statuses.find((s) => s.id === leaderId)!.term;
  const metricsOf = (t: (typeof tabs)[number]) => t.page.evaluate(() => (window as unknown as { meshraft: { metrics(): { electionsStarted: number } } }).meshraft.metrics());

  const acked: string[] = [];
  for (let i = 0; i < 20; i++) {
    await leader.put(`closing-${i}`, String(i));
    acked.push(`closing-${i}`);
  }
  const electionsBefore = await Promise.all(rest.map(async (t) => (await metricsOf(t)).electionsStarted));
  await leader.page.close();
  tabs.splice(tabs.indexOf(leader), 1);

  const nextId = await waitForCluster(rest, 3, { timeout: 30_000, leader: (l) => l !== leaderId, message: 'the remaining tabs should agree on a new leader' });
  const next = (await Promise.all(rest.map((t) => t.status()))).find((s) => s.id === nextId)!;
  // One clean election: one term further, one campaign (the new leader's). A hand-over gives
  // this; so does a lucky timeout-driven election (see docs/demo.md: nothing the tabs report
  // tells them apart without timing).
  expect(next.term, 'exactly one election after the close').toBe(oldTerm + 1);
  const electionsAfter = await Promise.all(rest.map(async (t) => (await metricsOf(t)).electionsStarted));
  const grew = rest.map((_t, i) => electionsAfter[i]! - electionsBefore[i]!);
  const ids = await Promise.all(rest.map(async (t) => (await t.status()).id));
  expect(Object.fromEntries(ids.map((id, i) => [id, grew[i]])), 'only the new leader campaigned, once').toEqual(Object.fromEntries(ids.map((id) => [id, id === next.id ? 1 : 0])));

  for (const t of rest) {
    for (const key of acked) expect(await t.get(key), `${key} acknowledged by the closed leader`).toBe(key.split('-')[1]);
  }
  await Promise.all(rest.map((t, i) => t.put(`after-${i}`, 'x')));
});
