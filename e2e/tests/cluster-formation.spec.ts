import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster } from '../support/demo-tabs.js';

// The built demo served by `pnpm demo`'s server; every tab is a browser context of its own.
for (const n of [3, 5]) {
  test(`${n} tabs form one cluster over WebRTC and replicate edits`, async ({ browser, demo, tabs }) => {
    tabs.push(...(await openCluster(browser, demo.origin, freshRoom(`form${n}`), n, { voters: String(n) })));
    await waitForCluster(tabs, n);
    const ss = await Promise.all(tabs.map((t) => t.status()));
    // Everyone is a voter of the same configuration, linked to everyone else over WebRTC.
    for (const s of ss) {
      expect(s.members.map((m) => m.id).sort()).toEqual(ss.map((x) => x.id).sort());
      expect(s.members.filter((m) => m.id !== s.id).every((m) => m.link === 'webrtc')).toBe(true);
    }
    // A write on every tab, read linearizably on every other one.
    await Promise.all(tabs.map((t, i) => t.put(`k${i}`, `from-${i}`)));
    for (const t of tabs) {
      for (let i = 0; i < n; i++) expect(await t.get(`k${i}`)).toBe(`from-${i}`);
    }
  });
}
