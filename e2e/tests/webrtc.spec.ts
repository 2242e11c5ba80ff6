import { expect, test } from '@playwright/test';
import { linkState, onPage, startNodePeer, startPage, type NodePeer } from '../fixtures/webrtc-harness.js';

// Chromium (the fixture page imports @meshraft/transport/webrtc from source through Vite) and a
// Node peer (@roamhq/wrtc) in a child process, with a real signaling server. The Node peer echoes.
let node: NodePeer | null = null;
test.afterEach(async () => {
  await node?.close();
  node = null;
});

async function roundTrip(page: import('@playwright/test').Page, expectedState: string): Promise<void> {
  await expect.poll(() => linkState(page, 'node'), { timeout: 20_000 }).toBe(expectedState);
  const sizes = [100, 100_000, 4];
  for (const [i, size] of sizes.entries()) {
    expect(await onPage(page, (api, [s, tag]) => api.send('node', s, tag), [size, i] as const)).toBe(true);
  }
  await expect.poll(() => onPage(page, (api) => api.received().length, null), { timeout: 20_000 }).toBe(3);
  const echoed = await onPage(page, (api) => api.received(), null);
  expect(echoed).toEqual(sizes.map((size, tag) => ({ from: 'node', tag, size })));
  expect(await onPage(page, (api) => api.errors(), null)).toEqual([]);
}

test('browser to Node over a WebRTC data channel', async ({ page }) => {
  node = await startNodePeer();
  await startPage(page, `${process.env.FIXTURES_URL}/webrtc.html`, node.url, 'browser');
  await roundTrip(page, 'webrtc');
  expect((await node.links()).map((l) => l.state)).toEqual(['webrtc']);
  expect(node.received.map((r) => r.size)).toEqual([100, 100_000, 4]);
});

test('browser to Node over the relay (forceRelay)', async ({ page }) => {
  node = await startNodePeer({ forceRelay: true });
  await startPage(page, `${process.env.FIXTURES_URL}/webrtc.html`, node.url, 'browser', { forceRelay: true });
  await roundTrip(page, 'relay');
  expect((await node.links()).map((l) => l.state)).toEqual(['relay']);
});
