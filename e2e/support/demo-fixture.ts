/**
 * Playwright fixtures for the demo suites: `demo` is one demo server (the `pnpm demo` code) per
 * worker, shared by every demo/cluster spec; `tabs` collects the tabs a test opens and closes
 * their contexts afterwards.
 */
import { test as base } from '@playwright/test';
import { startDemo, type DemoProcess } from './demo-server.js';
import { closeAll, type Tab } from './demo-tabs.js';

export const test = base.extend<{ tabs: Tab[] }, { demo: DemoProcess }>({
  demo: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const demo = await startDemo();
      await use(demo);
      await demo.close();
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  tabs: async ({}, use) => {
    const tabs: Tab[] = [];
    await use(tabs);
    await closeAll(tabs);
  },
});

export { expect } from '@playwright/test';
