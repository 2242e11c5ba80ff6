import { expect, test, type Page } from '@playwright/test';

// The KV state machine in Chromium, from source through Vite: same log, same snapshot bytes as Node.
async function open(page: Page): Promise<void> {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[page] ${m.text()}`);
  });
  await page.goto(`${process.env.FIXTURES_URL}/kv.html`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

test('the seeded workload gives the golden snapshot digest in Chromium too', async ({ page }) => {
  await open(page);
  const r = await page.evaluate(() => (window as unknown as { meshraftKv: { golden(): Promise<{ digest: string; expected: string }> } }).meshraftKv.golden());
  expect(r.digest).toBe(r.expected);
});

test('watch and prefix range work in the page', async ({ page }) => {
  await open(page);
  const r = await page.evaluate(() =>
    (window as unknown as { meshraftKv: { watchAndRange(): Promise<{ events: string[]; keys: string[] }> } }).meshraftKv.watchAndRange(),
  );
  expect(r).toEqual({ events: ['2 put doc/1', '4 put doc/2'], keys: ['doc/1', 'doc/2'] });
});
