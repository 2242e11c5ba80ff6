import { expect, test } from '@playwright/test';

// The fixture server and the browser both come up: every other browser test builds on this.
test('fixture pages load in Chromium', async ({ page }) => {
  await page.goto(`${process.env.FIXTURES_URL}/smoke.html`);
  await expect(page.locator('#status')).toHaveText('ready');
});
