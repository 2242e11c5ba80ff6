/**
 * Which Chromium to drive. CI (and any machine with Debian's package) uses /usr/bin/chromium;
 * a developer laptop falls back to Playwright's own download. MESHRAFT_CHROMIUM overrides both.
 */
import { existsSync } from 'node:fs';

export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.MESHRAFT_CHROMIUM;
  if (fromEnv) return fromEnv;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined; // Playwright's bundled Chromium
}

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--no-first-run',
  '--disable-sync',
];
