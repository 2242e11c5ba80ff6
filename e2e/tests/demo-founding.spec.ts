// Founding in the demo, real Chromium, each browser context a separate profile (own IndexedDB):
// a shared link never founds a second board, even while every member is offline, and two
// profiles pressing "New board" for one name at once leave one board.
import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, load, openTab, openTabIn, tabOf, tabUrl, type Tab, type TabStatus } from '../support/demo-tabs.js';

type FoundingStatus = TabStatus & { clusterId: string | null; waiting: string | null; fork: { clusterId: string; survivorId: string } | null };
const status = async (t: Tab): Promise<FoundingStatus> => (await t.status()) as FoundingStatus;

test('A founds and closes; B opens A\'s link and must not found; A returns and each reads the other\'s writes', async ({ browser, demo, tabs }) => {
  const room = freshRoom('link');
  const a = await openTab(browser, tabUrl(demo.origin, room, { found: '1' }));
  tabs.push(a);
  await expect.poll(async () => (await status(a)).role, { timeout: 20_000 }).toBe('leader');
  const id = (await status(a)).clusterId!;
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  await a.put('from-a', '1');
  // The link to share carries the board's cluster id (and no longer the founding switch).
  await expect.poll(() => a.page.locator('#room-link').getAttribute('href')).toContain(`cluster=${id}`);
  const link = (await a.page.locator('#room-link').getAttribute('href'))!;
  expect(link).not.toContain('found');
  await a.page.close(); // A's profile (context) stays: it comes back later

  const b = await openTab(browser, link);
  tabs.push(b);
  await expect(b.page.locator('#boot-status')).toHaveText(`Joining the room: waiting: no member of cluster ${id} online`, { timeout: 20_000 });
  await expect(b.page.locator('#new-board')).toBeVisible();
  // It stays a waiting joiner: no board of its own, however long nobody is online.
  await b.page.waitForTimeout(3000);
  expect(await status(b)).toMatchObject({ origin: 'joining', clusterId: null, fork: null, writable: false });
  expect((await status(b)).role).not.toBe('leader');

  const back = await openTabIn(a.context, tabUrl(demo.origin, room));
  tabs.push(back);
  expect((await status(back)).origin).toBe('restored');
  await expect.poll(async () => (await status(b)).writable, { timeout: 60_000 }).toBe(true);
  expect((await status(b)).clusterId).toBe(id);
  await b.put('from-b', '2');
  expect(await b.get('from-a')).toBe('1');
  expect(await back.get('from-b')).toBe('2');
  await expect(b.page.locator('#founding')).toBeHidden();
});

test('two profiles press "New board" for one name at once: one board survives', async ({ browser, demo, tabs }) => {
  const room = freshRoom('race');
  const [p, q] = await Promise.all([browser.newContext(), browser.newContext()]);
  const pages = await Promise.all([p.newPage(), q.newPage()]);
  const url = tabUrl(demo.origin, room);
  await Promise.all(pages.map((page) => load(page, url)));
  // Both press the button together; each page reloads as a founder (?found).
  await Promise.all(pages.map((page) => expect(page.locator('#new-board')).toBeVisible({ timeout: 20_000 })));
  await Promise.all(pages.map((page) => Promise.all([page.waitForURL(/found=1/), page.locator('#new-board').click()])));
  await Promise.all(pages.map((page) => page.waitForFunction(() => 'meshraft' in window, null, { timeout: 30_000 })));
  const [x, y] = [tabOf(p, pages[0]!), tabOf(q, pages[1]!)];
  tabs.push(x, y);
  let survivor = '';
  await expect
    .poll(
      async () => {
        const ss = await Promise.all([x!, y!].map(status));
        const alive = ss.filter((s) => s.fork === null && s.clusterId !== null);
        const ids = new Set(alive.map((s) => s.clusterId));
        // One history: every tab not forked has one id, and a forked one names it as survivor.
        const ok = ids.size === 1 && ss.every((s) => s.fork === null || ids.has(s.fork.survivorId)) && alive.some((s) => s.writable);
        if (ok) survivor = [...ids][0]!;
        return ok ? 'one board' : JSON.stringify(ss.map((s) => ({ id: s.id, role: s.role, cid: s.clusterId, fork: s.fork, waiting: s.waiting })));
      },
      { timeout: 60_000, intervals: [250, 500, 1000] },
    )
    .toBe('one board');
  const ss = await Promise.all([x!, y!].map(status));
  const writer = [x!, y!][ss.findIndex((s) => s.fork === null && s.clusterId === survivor && s.writable)]!;
  await writer.put('after-race', '1');
  const forked = ss.findIndex((s) => s.fork !== null);
  if (forked >= 0) {
    const loser = [x!, y!][forked]!;
    await expect(loser.page.locator('#boot-status')).toContainText('This board was forked');
    await expect(loser.put('k', 'v')).rejects.toThrow(/CLUSTER_FORKED|forked/);
  }
});
