import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from './support/chromium.js';

// Browser tests: real Chromium against fixture pages served by Vite (see global-setup.ts).
// WebRTC needs a non-loopback interface: CI runs this inside scripts/netns-run (at the repository root).
export default defineConfig({
  testDir: './tests',
  timeout: 120_000,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['./support/summary-reporter.ts']],
  globalSetup: './global-setup.ts',
  use: {
    browserName: 'chromium',
    headless: true,
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: chromiumExecutable(), args: chromiumArgs },
  },
});
