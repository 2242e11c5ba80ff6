import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster, type Tab } from '../support/demo-tabs.js';

async function setName(tab: Tab, name: string): Promise<void> {
  await tab.page.locator('#my-name').fill(name);
  await tab.page.locator('#my-name').press('Tab'); // `change` fires on blur
}

test('the cluster panel names members, drops departed ones and never offers them as leader', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('ui-names'), 3)));
  await waitForCluster(tabs, 3);
  const [a, b, c] = tabs as [Tab, Tab, Tab];
  const ids = await Promise.all(tabs.map(async (t) => (await t.status()).id));
  await setName(a, 'Ada');
  await setName(b, 'Grace');
  await setName(c, 'Linus');

  // Every tab shows every typed name beside the id, in the table and in the transfer list.
  for (const t of tabs) {
    for (const [i, name] of ['Ada', 'Grace', 'Linus'].entries()) {
      await expect(t.page.locator(`tr[data-member="${ids[i]}"] th`)).toContainText(name, { timeout: 15_000 });
      await expect(t.page.locator(`tr[data-member="${ids[i]}"] th`)).toContainText(ids[i]!);
    }
  }
  await expect(a.page.getByRole('img', { name: 'Cluster graph' })).toContainText('Grace');

  // A follower closes its tab (pagehide: it departs): the others stop listing it, never offer it
  // as the next leader, and the leader takes it out of the configuration at once (issue 12), so
  // it is not even named as unreachable.
  const leader = (await a.status()).leader!;
  const gone = leader === ids[2] ? b : c; // keep the leader, so the two left still have a quorum
  const goneId = (await gone.status()).id;
  await gone.context.close();
  const stay = tabs.filter((t) => t !== gone);
  for (const t of stay) {
    await expect(t.page.locator(`tr[data-member="${goneId}"]`)).toHaveCount(0, { timeout: 20_000 });
    await expect(t.page.locator('table.members tbody tr')).toHaveCount(2);
    await expect.poll(async () => (await t.status()).members.map((m) => m.id), { timeout: 20_000 }).not.toContain(goneId);
    await expect(t.page.getByTestId('absent-members')).toHaveCount(0);
    await expect(t.page.locator(`#transfer-target option[value="${goneId}"]`)).toHaveCount(0);
    await expect(t.page.getByRole('img', { name: 'Cluster graph' })).not.toContainText(goneId);
  }
  // Three voters less one would be two: the policy shrank to one voter and a learner (an even
  // count tolerates no more failures), so no voter is left to offer; the departed never is.
  const other = stay[0]!;
  await expect.poll(async () => (await other.status()).members.filter((m) => m.role === 'voter').length, { timeout: 20_000 }).toBe(1);
  const offered = await other.page.locator('#transfer-target option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(offered).not.toContain(goneId);
});

test('a lost-claim message goes at the next action, and messages clear by themselves', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('ui-lost'), 2)));
  await waitForCluster(tabs, 1);
  const [a, b] = tabs as [Tab, Tab];
  await a.page.getByLabel('New card').fill('Book the venue');
  await a.page.getByRole('button', { name: 'Add card' }).click();
  for (const t of [a, b]) await expect(t.page.getByRole('button', { name: 'Claim card Book the venue' })).toBeEnabled();
  const at = Date.now() + 100;
  await Promise.all(
    [a, b].map((t) =>
      t.page.evaluate((when) => {
        const button = document.querySelector<HTMLButtonElement>('[data-testid="claim-button"]')!;
        setTimeout(() => button.click(), Math.max(0, when - Date.now()));
      }, at),
    ),
  );
  const won = (t: Tab) => t.page.locator('.message', { hasText: 'You claimed “Book the venue”' });
  const lost = (t: Tab) => t.page.locator('.message.error', { hasText: '“Book the venue” is already claimed by' });
  await expect.poll(async () => (await lost(a).count()) + (await lost(b).count()), { timeout: 15_000 }).toBe(1);
  const loser = (await lost(a).count()) === 1 ? a : b;
  const winner = loser === a ? b : a;
  await expect(won(winner)).toHaveCount(1);

  // The loser moves on: the stale "already claimed" message goes at once.
  await loser.page.getByLabel('New card').fill('Order the food');
  await loser.page.getByRole('button', { name: 'Add card' }).click();
  await expect(lost(loser)).toHaveCount(0, { timeout: 1000 });
  await expect(loser.page.locator('[data-testid="card"]', { hasText: 'Order the food' })).toBeVisible();
  // Untouched, the winner's message clears by itself after a few seconds.
  await expect(won(winner)).toHaveCount(0, { timeout: 15_000 });
});
