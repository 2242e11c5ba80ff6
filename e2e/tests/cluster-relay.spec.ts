import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, openTab, tabUrl, waitForCluster } from '../support/demo-tabs.js';

test('a tab without WebRTC (forced relay) joins and replicates through the signaling relay', async ({ browser, demo, tabs }) => {
  const room = freshRoom('relay');
  tabs.push(...(await openCluster(browser, demo.origin, room, 2)));
  const relayTab = await openTab(browser, tabUrl(demo.origin, room, { relay: '1' }));
  tabs.push(relayTab);
  await waitForCluster(tabs, 3);
  const rs = await relayTab.status();
  expect(rs.members.filter((m) => m.id !== rs.id).map((m) => m.link)).toEqual(['relay', 'relay']);
  // The WebRTC tabs reach each other directly and the relay tab through the server.
  const other = await tabs[0]!.status();
  expect(other.members.find((m) => m.id === rs.id)?.link).toBe('relay');
  expect(other.members.find((m) => m.id !== rs.id && m.id !== other.id)?.link).toBe('webrtc');

  await relayTab.put('from-relay', '1');
  await tabs[0]!.put('from-webrtc', '2');
  for (const t of tabs) {
    expect(await t.get('from-relay')).toBe('1');
    expect(await t.get('from-webrtc')).toBe('2');
  }
});
