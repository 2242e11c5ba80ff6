import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, openTab, tabUrl, waitForCluster } from '../support/demo-tabs.js';

test('a tab without WebRTC (forced relay) joins and replicates through the signaling relay', async ({ browser, demo, tabs }) => {
  const room = freshRoom('relay');
  tabs.push(...(await openCluster(browser, demo.origin, room, 2)));
  const relayTab = await openTab(browser, tabUrl(demo.origin, room, { relay: '1' }));
  tabs.push(relayTab);
  await waitForCluster(tabs, 3);
  const rs = await relayTab.status();
  // Link states settle after the cluster forms (a channel may still be opening): wait for them.
  await expect.poll(async () => (await relayTab.status()).members.filter((m) => m.id !== rs.id).map((m) => m.link), { timeout: 30_000 }).toEqual(['relay', 'relay']);
  // The WebRTC tabs reach each other directly and the relay tab through the server.
  const linkOf = async (id: string) => (await tabs[0]!.status()).members.find((m) => m.id === id)?.link;
  const other = await tabs[0]!.status();
  const webrtcPeer = other.members.find((m) => m.id !== rs.id && m.id !== other.id)!.id;
  await expect.poll(() => linkOf(rs.id), { timeout: 30_000 }).toBe('relay');
  await expect.poll(() => linkOf(webrtcPeer), { timeout: 30_000 }).toBe('webrtc');

  await relayTab.put('from-relay', '1');
  await tabs[0]!.put('from-webrtc', '2');
  for (const t of tabs) {
    expect(await t.get('from-relay')).toBe('1');
    expect(await t.get('from-webrtc')).toBe('2');
  }
});
