import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '../support/demo-fixture.js';
import { startDemo } from '../support/demo-server.js';
import { startNodePeer, type NodePeerProcess } from '../support/demo-peer.js';
import { FAST, freshRoom, openCluster, openTab, tabUrl, waitForCluster, type Tab } from '../support/demo-tabs.js';

let peer: NodePeerProcess | null = null;
test.afterEach(async () => {
  await peer?.close();
  peer = null;
});

const leave = (t: Tab) => t.page.evaluate(() => (window as unknown as { meshraft: { leave(): Promise<void> } }).meshraft.leave());

test('a Node peer (meshraft peer) joins the browser cluster; every tab leaves and closes; a new tab recovers the state from the peer', async ({ browser, demo, tabs }) => {
  const room = freshRoom('peer');
  tabs.push(...(await openCluster(browser, demo.origin, room, 2)));
  // The runtime keeps the voter count odd: one voter and one learner.
  await waitForCluster(tabs, 1);
  const [a, b] = tabs as [Tab, Tab];
  await a.put('before-peer', '1');
  const card = await a.page.evaluate(() => (window as unknown as { meshraft: { addCard(t: string): Promise<{ id: string }> } }).meshraft.addCard('made in a tab'));

  peer = await startNodePeer({ cluster: `board.${room}`, signalingUrl: demo.signalingUrl, tickMs: Number(FAST.tick) });
  const peerId = peer.id;
  // The leader adds the peer as a learner, then promotes both learners in one joint change
  // (the voter count stays odd): three voters, the peer over WebRTC.
  await waitForCluster(tabs, 3);
  // A follower tab needs no link to the peer for the cluster to form, so its data channel may
  // still be opening here: wait for it rather than catch it half-way.
  for (const t of tabs) {
    await expect
      .poll(async () => (await t.status()).members.find((x) => x.id === peerId), { timeout: 30_000 })
      .toMatchObject({ role: 'voter', link: 'webrtc' });
  }
  await b.put('with-peer', '2');

  // Tabs leave politely (hand leadership over, take themselves out of the configuration) and
  // close: the peer is left as the only voter, with the whole log on disk.
  // One through the page's button, one through the test API (the same code path).
  await a.page.getByRole('button', { name: 'Leave cluster' }).click();
  await expect(a.page.locator('#boot-status')).toHaveText('You left this room.', { timeout: 30_000 });
  await expect(a.page.locator('#availability')).toContainText('left the cluster');
  await a.context.close();
  await leave(b);
  await b.context.close();
  tabs.length = 0;

  // A tab in a fresh browser context (empty IndexedDB) can only get the state from the peer.
  const c = await openTab(browser, tabUrl(demo.origin, room));
  tabs.push(c);
  await expect.poll(async () => (await c.status()).writable, { timeout: 30_000 }).toBe(true);
  const s = await c.status();
  expect(s.origin).toBe('joining');
  expect(s.leader).toBe(peerId);
  expect(await c.get('before-peer')).toBe('1');
  expect(await c.get('with-peer')).toBe('2');
  expect((await c.cards()).map((x) => x.id)).toEqual([card.id]);
  await expect(c.page.locator('[data-testid="card"]')).toContainText('made in a tab');
  await c.put('after', '3');
  expect(await c.get('after')).toBe('3');
});

test('pnpm demo --peer: the durable Node peer founds the room and tabs join it', async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshraft-demo-peer-flag-'));
  const room = freshRoom('flag');
  const demo = await startDemo(['--peer', '--bootstrap', '--room', room, '--peer-data', dataDir, '--peer-tick', FAST.tick]);
  try {
    expect(demo.url).toContain(`?room=${room}`);
    const t = await openTab(browser, tabUrl(demo.origin, room));
    try {
      await expect.poll(async () => (await t.status()).writable, { timeout: 30_000 }).toBe(true);
      const s = await t.status();
      expect(s.origin).toBe('joining');
      const peerMember = s.members.find((m) => m.id !== s.id);
      expect(peerMember?.role).toBe('voter');
      expect(s.leader).toBe(peerMember?.id);
      await t.put('k', 'v');
      expect(await t.get('k')).toBe('v');
    } finally {
      await t.context.close();
    }
  } finally {
    await demo.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
