import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster } from '../support/demo-tabs.js';

test('a disconnected minority (with the old leader) cannot commit; after reconnecting it catches up', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('partition'), 5, { voters: '5' })));
  const leaderId = await waitForCluster(tabs, 5);
  await tabs[0]!.put('before', 'all');
  const ids = await Promise.all(tabs.map(async (t) => (await t.status()).id));
  const leader = tabs[ids.indexOf(leaderId)]!;
  const minority = [leader, tabs.find((t) => t !== leader)!];
  const majority = tabs.filter((t) => !minority.includes(t));
  for (const t of minority) await t.setPartitioned(true);

  // The minority says why it is read-only, and its writes do not commit.
  for (const t of minority) {
    await expect.poll(async () => (await t.status()).writable, { timeout: 10_000 }).toBe(false);
    expect((await t.status()).reason).toContain('disconnected');
    await expect(t.page.locator('#availability')).toContainText('Read-only');
  }
  const lost = await Promise.allSettled(minority.map((t, i) => t.put(`minority-${i}`, 'x')));
  expect(lost.map((r) => r.status)).toEqual(['rejected', 'rejected']);

  // The majority elects a new leader among itself and goes on.
  await expect.poll(async () => (await majority[0]!.status()).leader, { timeout: 20_000 }).not.toBe(leaderId);
  await expect.poll(async () => (await majority[0]!.status()).writable, { timeout: 20_000 }).toBe(true);
  for (let i = 0; i < 5; i++) await majority[i % 3]!.put(`majority-${i}`, String(i));
  for (const t of minority) expect(await t.localGet('majority-0')).toBeNull();

  for (const t of minority) await t.setPartitioned(false);
  await waitForCluster(tabs, 5);
  for (const t of tabs) {
    for (let i = 0; i < 5; i++) expect(await t.get(`majority-${i}`)).toBe(String(i));
    expect(await t.get('minority-0')).toBeNull();
    expect(await t.get('minority-1')).toBeNull();
    expect(await t.get('before')).toBe('all');
  }
});
