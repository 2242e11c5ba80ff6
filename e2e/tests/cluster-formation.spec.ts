import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, load, openCluster, openTabIn, tabUrl, waitForCluster } from '../support/demo-tabs.js';

// The built demo served by `pnpm demo`'s server; every tab is a browser context of its own.
for (const n of [3, 5]) {
  test(`${n} tabs form one cluster over WebRTC and replicate edits`, async ({ browser, demo, tabs }) => {
    tabs.push(...(await openCluster(browser, demo.origin, freshRoom(`form${n}`), n, { voters: String(n) })));
    await waitForCluster(tabs, n);
    const ss = await Promise.all(tabs.map((t) => t.status()));
    // Everyone is a voter of the same configuration, linked to everyone else over WebRTC (a
    // channel between two followers may still be opening when the cluster has formed: wait).
    for (const [i, s] of ss.entries()) {
      expect(s.members.map((m) => m.id).sort()).toEqual(ss.map((x) => x.id).sort());
      await expect
        .poll(async () => (await tabs[i]!.status()).members.filter((m) => m.id !== s.id).map((m) => m.link), { timeout: 30_000 })
        .toEqual(Array(n - 1).fill('webrtc'));
    }
    // A write on every tab, read linearizably on every other one.
    await Promise.all(tabs.map((t, i) => t.put(`k${i}`, `from-${i}`)));
    for (const t of tabs) {
      for (let i = 0; i < n; i++) expect(await t.get(`k${i}`)).toBe(`from-${i}`);
    }
  });
}

test('tabs of one browser share IndexedDB but get distinct storage slots; a reloaded tab gets its own back', async ({ browser, demo, tabs }) => {
  const room = freshRoom('slots');
  const context = await browser.newContext();
  // No ?node=: the page picks the slot itself.
  const url = tabUrl(demo.origin, room);
  const first = await openTabIn(context, tabUrl(demo.origin, room, { found: '1' }));
  tabs.push(first);
  await expect.poll(async () => (await first.status()).role, { timeout: 20_000 }).toBe('leader');
  tabs.push(await openTabIn(context, url), await openTabIn(context, url));
  await waitForCluster(tabs, 3);
  const before = await Promise.all(tabs.map((t) => t.status()));
  expect(before.map((s) => s.database).sort()).toEqual([0, 1, 2].map((i) => `meshraft-demo/${room}/slot-${i}`));
  await tabs[0]!.put('x', '1');
  const second = tabs[1]!;
  await load(second.page, second.page.url());
  const after = await second.status();
  expect(after).toMatchObject({ id: before[1]!.id, database: before[1]!.database, origin: 'restored' });
  await waitForCluster(tabs, 3);
  expect(await second.get('x')).toBe('1');
});
