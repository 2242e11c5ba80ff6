import { expect, test } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions, preview, type PreviewServer } from 'vite';
import { linkState, onPage, startNodePeer, type NodePeer } from '../fixtures/webrtc-harness.js';

// A Vite production build of a page that imports @meshraft/transport/webrtc, with no polyfill or
// other configuration. The one setting, the `source` condition, only points the workspace package
// at src/ instead of an unbuilt dist/; a published package resolves to dist/ without it.
const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
let outDir = '';
let server: PreviewServer | null = null;
let node: NodePeer | null = null;

test.afterAll(async () => {
  await node?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

test('a Vite production build of a page importing @meshraft/transport/webrtc builds and runs in Chromium', async ({ page }) => {
  outDir = mkdtempSync(join(tmpdir(), 'meshraft-vite-build-'));
  await build({
    root: fixtures,
    logLevel: 'warn',
    configFile: false,
    resolve: { conditions: ['source', ...defaultClientConditions] },
    build: { outDir, emptyOutDir: true, rollupOptions: { input: join(fixtures, 'webrtc.html') } },
  });
  const assets = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
  expect(assets.length).toBeGreaterThan(0);
  const bundle = assets.map((f) => readFileSync(join(outDir, 'assets', f), 'utf8')).join('\n');
  // The browser fork was picked: no Node-only modules made it into the bundle.
  expect(bundle).not.toMatch(/require\(["'](ws|stream|events|buffer)["']\)/);
  expect(bundle).not.toContain('@roamhq/wrtc');

  server = await preview({ root: fixtures, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('preview server has no port');
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  node = await startNodePeer();
  await page.goto(`http://127.0.0.1:${address.port}/webrtc.html`);
  // A bundle that needs Node globals dies on load: fail with its error instead of waiting.
  const status = async (): Promise<string | null> =>
    pageErrors.length > 0 ? `page error: ${pageErrors.join('; ')}` : page.locator('#status').textContent();
  await expect.poll(status, { timeout: 15_000 }).toBe('ready');
  await onPage(page, (api, url) => api.start(url, 'e2e', 'browser'), node.url);
  await expect.poll(() => linkState(page, 'node'), { timeout: 20_000 }).toBe('webrtc');
  expect(await onPage(page, (api) => api.send('node', 50_000, 7), null)).toBe(true);
  await expect.poll(() => onPage(page, (api) => api.received(), null), { timeout: 20_000 }).toEqual([{ from: 'node', tag: 7, size: 50_000 }]);
  expect(pageErrors).toEqual([]);
});
