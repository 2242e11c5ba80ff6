import { expect, test, type Page } from '@playwright/test';
import type { CaseResult } from '../fixtures/indexeddb-contract.js';
// Type-only: brings in the `window.meshraftIdb` declaration; the harness itself runs in the page.
import type {} from '../fixtures/indexeddb-harness.js';

// The IndexedDB backend against Chromium's real IndexedDB (not fake-indexeddb): the shared
// DurableStorage contract in a page and in a Web Worker, and persistence across a reload.

async function load(page: Page): Promise<void> {
  await page.goto(`${process.env.FIXTURES_URL}/indexeddb.html`);
  await expect(page.locator('#status')).toHaveText('ready');
}

function expectAllPassed(results: readonly CaseResult[]): void {
  expect(results.filter((r) => r.error !== undefined)).toEqual([]);
  // Every contract case ran, once per durability mode.
  expect(results.length).toBeGreaterThanOrEqual(2 * 20);
  expect(new Set(results.map((r) => r.durability))).toEqual(new Set(['strict', 'relaxed']));
}

test('the DurableStorage contract holds on IndexedDB in a page', async ({ page }) => {
  await load(page);
  expectAllPassed(await page.evaluate(() => window.meshraftIdb!.runInPage()));
});

test('the DurableStorage contract holds on IndexedDB in a Web Worker', async ({ page }) => {
  await load(page);
  expectAllPassed(await page.evaluate(() => window.meshraftIdb!.runInWorker()));
});

test('saved state survives a page reload', async ({ page }) => {
  await load(page);
  const written = await page.evaluate(() => window.meshraftIdb!.write());
  expect(written).toEqual({
    firstIndex: 6,
    lastIndex: 12,
    terms: [1, 1, 2, 2, 2, 2, 2],
    data: [[6, 1], [7, 1], [8, 2], [9, 2], [10, 2], [11, 2], [12, 2]],
    hardState: { term: 2, vote: 'n2', commit: 9 },
    confVoters: ['n1', 'n2', 'n3'],
    snapshotIndex: 5,
    meta: 'n1',
    persisted: [written.persisted[1], written.persisted[1]],
  });
  expect(typeof written.persisted[1]).toBe('boolean');
  await page.reload();
  await expect(page.locator('#status')).toHaveText('ready');
  expect(await page.evaluate(() => window.meshraftIdb!.read())).toEqual(written);
});

test('an open storage lets another connection delete its database, then refuses writes', async ({ page }) => {
  await load(page);
  expect(await page.evaluate(() => window.meshraftIdb!.deleteWhileOpen())).toEqual({
    deleted: true,
    saveError: 'INDEXEDDB_UNAVAILABLE',
  });
});

test('a node is open in one tab at a time (Web Locks)', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await load(a);
  await load(b);
  await a.evaluate(() => window.meshraftIdb!.holdOpen());
  expect(await b.evaluate(() => window.meshraftIdb!.tryOpen())).toBe('INDEXEDDB_LOCKED');
  await a.evaluate(() => window.meshraftIdb!.releaseHeld());
  expect(await b.evaluate(() => window.meshraftIdb!.tryOpen())).toBe('opened');
});

test('a write over quota rejects with QUOTA_EXCEEDED and leaves the log as it was', async ({ page, context }) => {
  await load(page);
  // Chromium's DevTools protocol can shrink the origin's quota, so no disk needs filling.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(page.url()).origin, quotaSize: 1024 * 1024 });
  expect(await page.evaluate(() => window.meshraftIdb!.overQuota(8 * 1024 * 1024))).toEqual({
    code: 'QUOTA_EXCEEDED',
    lastIndex: 2,
    reopenedLastIndex: 3,
    afterwards: 'saved',
  });
});
