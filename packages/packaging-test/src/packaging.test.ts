/**
 * Packaging test (issue 6): every publishable package is built (`pnpm build`) and packed
 * (`pnpm pack`: workspace:* becomes real versions), then a fresh Node project and a fresh Vite
 * app outside the workspace install the tarballs offline from the pnpm store the workspace
 * install filled. The Node project runs a 3-node cluster; the Vite app is built, served, and a
 * headless Chromium runs a node in it (IndexedDB + relay) that joins a Node founder and commits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** The packages users install, by workspace folder. */
const PUBLISHED = ['packages/core', 'packages/storage', 'packages/transport', 'packages/meshraft', 'packages/etcd', 'signaling-server'];
const chromium = process.env.MESHRAFT_CHROMIUM ?? '/usr/bin/chromium';

let work = '';
const children: ChildProcess[] = [];

/** Runs a command to completion; rejects with its output on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/** Copies a fixture project, pointing its meshraft dependencies (and theirs) at the tarballs. */
async function project(name: string, tarballs: Map<string, string>, viteVersion: string): Promise<string> {
  const dir = join(work, name);
  await cp(join(fixtures, name), dir, { recursive: true });
  const pkgPath = join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) pkg.dependencies[dep] = `file:${tarballs.get(dep)}`;
  if (pkg.devDependencies?.['vite']) pkg.devDependencies['vite'] = viteVersion;
  await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
  // Tarballs depend on each other by version (0.1.0), which no registry has: override to files.
  const overrides = [...tarballs].map(([n, file]) => `  "${n}": "file:${file}"\n`).join('');
  await writeFile(join(dir, 'pnpm-workspace.yaml'), `overrides:\n${overrides}allowBuilds:\n  msgpackr-extract: false\n`);
  await run('pnpm', ['install', '--offline'], dir);
  return dir;
}

/** Stops a child and waits until it is gone (Chromium's helpers write to its profile until then). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first stdout line of `child` that parses as JSON with `key`. */
function jsonLine<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const v = JSON.parse(line) as Record<string, unknown>;
        if (key in v) resolve(v as T);
      } catch {
        // not ours
      }
    });
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before printing ${key}`)));
  });
}

describe('packed packages in fresh projects', () => {
  const tarballs = new Map<string, string>();
  let viteVersion = '';
  let nodeApp: Promise<string> | undefined;
  /** The Node project, installed once (the Vite test's founder and server run from it too). */
  const nodeProject = (): Promise<string> => (nodeApp ??= project('node-app', tarballs, viteVersion));

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'meshraft-packaging-'));
    await run('pnpm', ['build'], repoRoot);
    const dest = join(work, 'tarballs');
    for (const dir of PUBLISHED) await run('pnpm', ['pack', '--pack-destination', dest], join(repoRoot, dir));
    for (const dir of PUBLISHED) {
      const { name, version } = JSON.parse(await readFile(join(repoRoot, dir, 'package.json'), 'utf8')) as { name: string; version: string };
      const file = join(dest, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
      expect(existsSync(file), `${file} packed`).toBe(true);
      tarballs.set(name, file);
    }
    // The version the workspace installed, so the offline install finds it in the store.
    viteVersion = (JSON.parse(await readFile(join(repoRoot, 'e2e/node_modules/vite/package.json'), 'utf8')) as { version: string }).version;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(children.map(stop));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs dist and no workspace: versions', async () => {
    const meshraft = tarballs.get('meshraft')!;
    const listing = await run('tar', ['tzf', meshraft], work);
    for (const sub of ['index', 'kv/index', 'worker/index', 'browser/index']) {
      expect(listing).toContain(`package/dist/${sub}.js`);
      expect(listing).toContain(`package/dist/${sub}.d.ts`);
    }
    expect(listing).not.toMatch(/\.test\.(js|ts)\n/);
    // The etcd layer is its own package; the runtime ships none of it.
    expect(listing).not.toContain('etcd');
    const manifest = await run('tar', ['xzf', meshraft, '-O', 'package/package.json'], work);
    expect(manifest).not.toContain('workspace:');
    const etcd = tarballs.get('@meshraft/etcd')!;
    const etcdListing = await run('tar', ['tzf', etcd], work);
    for (const file of ['dist/index.js', 'dist/peer/index.js', 'dist/cli.js', 'proto/rpc.proto', 'proto/kv.proto', 'proto/auth.proto', 'proto/v3lock.proto', 'proto/v3election.proto']) {
      expect(etcdListing).toContain(`package/${file}`);
    }
    expect(etcdListing).not.toMatch(/\.test\.(js|ts)\n/);
    expect(await run('tar', ['xzf', etcd, '-O', 'package/package.json'], work)).not.toContain('workspace:');
  });

  it('a fresh Node project runs a 3-node cluster from dist', async () => {
    const dir = await nodeProject();
    const entries = await readdir(join(dir, 'node_modules', 'meshraft', 'dist'));
    expect(entries).toContain('index.js');
    const out = JSON.parse((await run('node', ['cluster.mjs'], dir)).trim().split('\n').pop()!) as unknown;
    expect(out).toEqual({ propose: { ok: true, value: 5 }, read: 5 });
  });

  it('a fresh Vite app is built, served, and its node commits in Chromium (IndexedDB + relay)', async () => {
    const node = await nodeProject();
    const app = await project('vite-app', tarballs, viteVersion);
    await run('pnpm', ['run', 'build'], app);
    const server = spawn('node', ['serve.mjs', join(app, 'dist')], { cwd: node, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const urls = jsonLine<{ app: string }>(server, 'app');
    const result = jsonLine<{ browser: unknown; founderValue: number }>(server, 'browser');
    const profile = join(work, 'chromium-profile');
    const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, (await urls).app], { stdio: 'ignore' });
    children.push(browser);
    const r = await result;
    await stop(browser);
    expect(r).toEqual({
      browser: { ok: true, result: { ok: true, value: 7 }, role: 'follower', leader: 'founder', storage: 'indexeddb' },
      founderValue: 7,
    });
  });
});
