import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster, type Tab } from '../support/demo-tabs.js';

const card = (tab: Tab, title: string) => tab.page.locator('[data-testid="card"]', { hasText: title });

test('the board UI: a card added in one tab appears in the other; claim, rename, move, delete', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('ui'), 2)));
  // The runtime keeps the voter count odd: one voter and one learner.
  await waitForCluster(tabs, 1);
  const [a, b] = tabs as [Tab, Tab];
  const bName = await b.page.locator('#my-name').inputValue();

  await a.page.getByLabel('New card').fill('Write the release notes');
  await a.page.getByRole('button', { name: 'Add card' }).click();
  await expect(card(b, 'Write the release notes')).toBeVisible();
  await expect(b.page.locator('[data-column="todo"]')).toContainText('Write the release notes');

  await b.page.getByRole('button', { name: 'Claim card Write the release notes' }).click();
  await expect(card(a, 'Write the release notes')).toContainText(`Claimed by ${bName}`);
  await expect(card(b, 'Write the release notes')).toContainText('Claimed by you');
  await expect(a.page.getByRole('button', { name: 'Claim card Write the release notes' })).toHaveCount(0);

  await a.page.getByRole('button', { name: 'Rename card Write the release notes' }).click();
  await a.page.getByLabel('New title for Write the release notes').fill('Write and publish the notes');
  await a.page.keyboard.press('Enter');
  await expect(card(b, 'Write and publish the notes')).toBeVisible();

  await b.page.getByRole('button', { name: 'Move Write and publish the notes to Doing' }).click();
  await expect(a.page.locator('[data-column="doing"]')).toContainText('Write and publish the notes');
  // The claim survived the rename and the move (separate keys, compare-and-set edits).
  await expect(card(a, 'Write and publish the notes')).toContainText(`Claimed by ${bName}`);

  await a.page.getByRole('button', { name: 'Delete card Write and publish the notes' }).click();
  await expect(card(b, 'Write and publish the notes')).toHaveCount(0);
});

test('the board UI: simultaneous Claim clicks in two tabs, the loser is told who has the card', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('ui-claim'), 2)));
  // The runtime keeps the voter count odd: one voter and one learner.
  await waitForCluster(tabs, 1);
  const [a, b] = tabs as [Tab, Tab];
  await a.page.getByLabel('New card').fill('Fix the login bug');
  await a.page.getByRole('button', { name: 'Add card' }).click();
  // Both tabs must show the card (and its Claim button) before the clicks are scheduled: redraws
  // are throttled to ten a second, so even the tab that added it may not show it yet.
  for (const t of [a, b]) await expect(t.page.getByRole('button', { name: 'Claim card Fix the login bug' })).toBeEnabled();
  // Both buttons are clicked at the same wall-clock moment, from inside the pages.
  const at = Date.now() + 100;
  await Promise.all(
    [a, b].map((t) =>
      t.page.evaluate((when) => {
        const button = document.querySelector<HTMLButtonElement>('[data-testid="claim-button"]')!;
        setTimeout(() => button.click(), Math.max(0, when - Date.now()));
      }, at),
    ),
  );
  const you = (t: Tab) => t.page.locator('.message', { hasText: 'You claimed “Fix the login bug”' });
  const taken = (t: Tab) => t.page.locator('.message.error', { hasText: '“Fix the login bug” is already claimed by' });
  await expect.poll(async () => (await you(a).count()) + (await you(b).count()), { timeout: 15_000 }).toBe(1);
  const winner = (await you(a).count()) === 1 ? a : b;
  const loser = winner === a ? b : a;
  const winnerName = await winner.page.locator('#my-name').inputValue();
  await expect(taken(loser)).toContainText(`already claimed by ${winnerName}`);
  await expect(taken(winner)).toHaveCount(0);
});

test('the cluster panel: graph and members, transfer leadership, disconnect makes the board read-only', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('ui-panel'), 3)));
  const leaderId = await waitForCluster(tabs, 3);
  const a = tabs[0]!;
  const s = await a.status();
  await expect(a.page.getByRole('img', { name: 'Cluster graph' })).toBeVisible();
  await expect(a.page.locator('table.members tbody tr')).toHaveCount(3);
  await expect(a.page.locator(`tr[data-member="${leaderId}"]`)).toContainText('leader');
  await expect(a.page.locator('table.members')).toContainText('WebRTC');

  const target = s.members.find((m) => m.id !== leaderId)!.id;
  await a.page.getByLabel('New leader').selectOption(target);
  await a.page.getByRole('button', { name: 'Transfer leadership' }).click();
  for (const t of tabs) await expect.poll(async () => (await t.status()).leader, { timeout: 15_000 }).toBe(target);

  await a.page.getByRole('button', { name: 'Disconnect this tab' }).click();
  await expect(a.page.locator('#availability')).toContainText('Read-only', { timeout: 15_000 });
  await expect(a.page.getByRole('button', { name: 'Add card' })).toBeDisabled();
  await a.page.getByRole('button', { name: 'Reconnect this tab' }).click();
  await expect(a.page.locator('#availability')).toBeHidden({ timeout: 15_000 });
  await expect(a.page.getByRole('button', { name: 'Add card' })).toBeEnabled();
});
