/**
 * Churn (issue 12): two tabs and a durable Node peer; the tabs close one after another (a real
 * close that runs pagehide), each is taken out of the configuration at once (not after the grace
 * period, which is left long here), the peer ends up the only voter and writable, and a fresh tab
 * joins it and writes.
 */
import { expect, test } from '../support/demo-fixture.js';
import { startNodePeer, type NodePeerProcess } from '../support/demo-peer.js';
import { FAST, freshRoom, openCluster, openTab, tabUrl, waitForCluster, type Tab } from '../support/demo-tabs.js';

let peer: NodePeerProcess | null = null;
test.afterEach(async () => {
  await peer?.close();
  peer = null;
});

test('tabs closing one by one leave the Node peer a writable single voter; a fresh tab joins it and writes', async ({ browser, demo, tabs }) => {
  const room = freshRoom('churn');
  tabs.push(...(await openCluster(browser, demo.origin, room, 2)));
  await waitForCluster(tabs, 1);
  peer = await startNodePeer({ cluster: `board.${room}`, signalingUrl: demo.signalingUrl, tickMs: Number(FAST.tick) });
  const peerId = peer.id;
  await waitForCluster(tabs, 3);
  const [a, b] = tabs as [Tab, Tab];
  const aId = (await a.status()).id;
  await a.put('before', '1');
  // Tabs are ephemeral members: a tab that leads hands leadership to the durable peer.
  await expect.poll(async () => (await b.status()).leader, { timeout: 30_000 }).toBe(peerId);

  // Close a (pagehide runs): b sees it leave the configuration at once, long before `grace`.
  const t0 = Date.now();
  await a.page.close({ runBeforeUnload: true });
  await expect.poll(async () => (await b.status()).members.map((m) => m.id).includes(aId), { timeout: 15_000 }).toBe(false);
  expect(Date.now() - t0).toBeLessThan(15_000);
  await b.put('after-a', '2');
  await a.context.close();
  await new Promise((r) => setTimeout(r, 1000));
  await b.page.close({ runBeforeUnload: true });
  await b.context.close();
  tabs.length = 0;

  // A tab in a fresh browser context can only get the state from the peer, which must be a
  // single voter that accepts writes.
  const c = await openTab(browser, tabUrl(demo.origin, room));
  tabs.push(c);
  await expect.poll(async () => (await c.status()).writable, { timeout: 30_000 }).toBe(true);
  const s = await c.status();
  expect(s.leader).toBe(peerId);
  expect(s.members.filter((m) => m.role === 'voter').map((m) => m.id)).toEqual([peerId]);
  expect(s.members.map((m) => m.id).sort()).toEqual([peerId, s.id].sort());
  expect(await c.get('before')).toBe('1');
  expect(await c.get('after-a')).toBe('2');
  await c.put('fresh', '3');
  expect(await c.get('fresh')).toBe('3');
});
