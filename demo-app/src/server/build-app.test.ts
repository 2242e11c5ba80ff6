import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot, distDir, ensureBuilt, isBuildCurrent } from './build-app.js';

describe('ensureBuilt', () => {
  it('builds when a source is newer than the build, then skips; concurrent builds both end with one good dist/', async () => {
    await ensureBuilt();
    expect(isBuildCurrent()).toBe(true);
    expect(await ensureBuilt()).toBe(false);
    // Touch a source file: the build is stale again.
    const src = join(appRoot, 'src', 'main.ts');
    const later = new Date(Date.now() + 5000);
    utimesSync(src, later, later);
    try {
      expect(isBuildCurrent()).toBe(false);
      const built = await Promise.all([ensureBuilt(), ensureBuilt({ force: true })]);
      expect(built).toEqual([true, true]);
    } finally {
      const now = new Date();
      utimesSync(src, now, now);
    }
    expect(existsSync(join(distDir, 'index.html'))).toBe(true);
    expect(readdirSync(join(distDir, 'assets')).some((f) => f.endsWith('.js'))).toBe(true);
    expect(readdirSync(appRoot).filter((f) => f.startsWith('dist.tmp-'))).toEqual([]);
  });
});
