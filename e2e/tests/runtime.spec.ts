import { expect, test, type Page } from '@playwright/test';
import type { RuntimePageApi } from '../fixtures/runtime-page.js';

// The node runtime in Chromium, imported from source through Vite: it must run without Node APIs.
async function open(page: Page): Promise<void> {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`[page] ${m.text()}`);
  });
  await page.goto(`${process.env.FIXTURES_URL}/runtime.html`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

function rt(page: Page): <R, A>(f: (api: RuntimePageApi, arg: A) => Promise<R>, arg: A) => Promise<R> {
  return (f, arg) =>
    page.evaluate(
      ([src, a]) => {
        const fn = new Function(`return (${src})`)() as (api: unknown, arg: unknown) => Promise<unknown>;
        return fn((window as unknown as { meshraftRuntime: unknown }).meshraftRuntime, a);
      },
      [f.toString(), arg] as const,
    ) as never;
}

test('three runtime nodes in one page elect a leader and commit from a follower', async ({ page }) => {
  await open(page);
  const r = await rt(page)((api) => api.threeNodes(), null);
  expect(['a', 'b', 'c']).toContain(r.leader);
  expect(r).toMatchObject({ value: 2, read: 2 });
});
test('a reloaded tab is the same member with the same log (IndexedDB)', async ({ page }) => {
  await open(page);
  const name = `runtime-e2e-${Date.now()}`;
  const first = await rt(page)((api, n) => api.durable(n, 3), name);
  expect(first.value).toBe(3);
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
  const again = await rt(page)((api, n) => api.reopen(n), name);
  expect(again).toEqual({ id: first.id, replayed: 3, value: 4 });
});
