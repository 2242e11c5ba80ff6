/**
 * @module build-app
 * Builds the page with Vite (production) when its output is missing or older than any source it
 * is made of (the app and the workspace packages it bundles), so `pnpm demo` works on a fresh
 * clone and restarts fast. The build goes to a temporary directory that replaces dist/ at the
 * end: a server that is reading dist/ never sees half a build.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appRoot = fileURLToPath(new URL('../../', import.meta.url));
export const distDir = join(appRoot, 'dist');
const repoRoot = join(appRoot, '..');
const STAMP = '.build-stamp';

/** Source trees the bundle is made of. */
const INPUTS = [
  join(appRoot, 'index.html'),
  join(appRoot, 'vite.config.ts'),
  join(appRoot, 'src'),
  ...['core', 'meshraft', 'storage', 'transport'].map((p) => join(repoRoot, 'packages', p, 'src')),
  join(repoRoot, 'signaling-server', 'src'),
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.endsWith('.test.ts')) continue;
    // The server code is not part of the bundle.
    if (e.isDirectory() && path === join(appRoot, 'src') && e.name === 'server') continue;
    newest = Math.max(newest, newestMtime(join(path, e.name)));
  }
  return newest;
}

export function isBuildCurrent(): boolean {
  const stamp = join(distDir, STAMP);
  if (!existsSync(stamp) || !existsSync(join(distDir, 'index.html'))) return false;
  return statSync(stamp).mtimeMs >= Math.max(...INPUTS.map(newestMtime));
}

export interface BuildOptions {
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

let buildSeq = 0;

/** Builds dist/ unless it is current; returns whether it built. */
export async function ensureBuilt(options: BuildOptions = {}): Promise<boolean> {
  if (!options.force && isBuildCurrent()) return false;
  const log = options.log ?? (() => {});
  log('building the demo app (vite, production)…');
  const t0 = Date.now();
  const { build } = await import('vite');
  const tmp = join(dirname(distDir), `dist.tmp-${process.pid}-${++buildSeq}`);
  await build({
    root: appRoot,
    configFile: join(appRoot, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true },
  });
  writeFileSync(join(tmp, STAMP), new Date().toISOString());
  rmSync(distDir, { recursive: true, force: true });
  try {
    renameSync(tmp, distDir);
  } catch (err) {
    // Another process (a second `pnpm demo`, the e2e suite, the bench) put its build there first.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(distDir, 'index.html'))) throw err;
  }
  log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}
