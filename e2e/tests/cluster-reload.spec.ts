import { createServer } from 'node:net';
import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, load, openCluster, tabUrl, waitForCluster } from '../support/demo-tabs.js';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('a reloaded tab shows its state from its own log at once, rejoins, and applies nothing twice', async ({ browser, demo, tabs }) => {
  const room = freshRoom('reload');
  tabs.push(...(await openCluster(browser, demo.origin, room, 3)));
  await waitForCluster(tabs, 3);
  const [a, b, c] = tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]];
  // Ten versions of one key: a command applied twice would show as an extra version.
  for (let i = 1; i <= 10; i++) await b.put('counter', String(i));
  const before = await c.status();
  const revBefore = await c.revision();
  expect(await c.localKv('counter')).toMatchObject({ value: '10', version: 10 });

  // Reload c with a signaling server that does not exist: whatever it shows comes from its own
  // IndexedDB log (the same tab keeps its storage slot across the navigation).
  await load(c.page, tabUrl(demo.origin, room, { signal: `ws://127.0.0.1:${await closedPort()}/signal` }));
  const offline = await c.status();
  expect(offline.id).toBe(before.id);
  expect(offline.origin).toBe('restored');
  // Up to the commit index it had persisted: the runtime writes a commit-only advance with the
  // next save, so the very last entry may wait for the leader to confirm it again.
  await expect.poll(async () => (await c.localKv('counter'))?.version ?? 0).toBeGreaterThanOrEqual(9);
  const kv = (await c.localKv('counter'))!;
  expect(kv.version).toBe(Number(kv.value)); // each put applied exactly once
  expect(await c.revision()).toBeGreaterThanOrEqual(revBefore - 1);
  expect(offline.writable).toBe(false);
  await expect(c.page.locator('#availability')).toBeVisible();

  // Meanwhile the others go on.
  for (let i = 11; i <= 15; i++) await a.put('counter', String(i));

  // Back with the real signaling server: the same member rejoins and catches up.
  await load(c.page, tabUrl(demo.origin, room));
  expect((await c.status()).id).toBe(before.id);
  await waitForCluster(tabs, 3);
  expect(await c.get('counter')).toBe('15');
  const revs = await Promise.all(tabs.map((t) => t.revision()));
  const kvs = await Promise.all(tabs.map((t) => t.localKv('counter')));
  // Same revision and version everywhere: nothing was applied twice on the reloaded tab.
  expect(new Set(revs).size).toBe(1);
  for (const kv of kvs) expect(kv).toMatchObject({ value: '15', version: 15 });
  await c.put('after-reload', 'yes');
  expect(await a.get('after-reload')).toBe('yes');
});
