import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import type { RuntimePageApi } from '../fixtures/runtime-page.js';

// Three Chromium tabs, one meshraft node each, over WebRTC with a real signaling server: the first
// tab founds the cluster, the others join as learners and are promoted; then the leader's tab
// closes and the other two carry on.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let signaling: ChildProcess | null = null;

test.afterEach(async () => {
  const child = signaling;
  signaling = null;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send({ t: 'close' });
  });
});

async function startSignaling(): Promise<string> {
  const child = fork(fileURLToPath(new URL('../fixtures/runtime-signaling.ts', import.meta.url)), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx', '--conditions=source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  signaling = child;
  return new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`signaling server exited with ${code}`)));
    child.on('message', (m) => resolve((m as { url: string }).url));
  });
}

function on<R, A>(page: Page, fn: (api: RuntimePageApi, arg: A) => R | Promise<R>, arg: A): Promise<R> {
  return page.evaluate(
    ([source, a]) => {
      const api = (window as unknown as { meshraftRuntime: RuntimePageApi }).meshraftRuntime;
      return (new Function('api', 'arg', `return (${source})(api, arg);`) as (api: RuntimePageApi, arg: unknown) => R)(api, a);
    },
    [fn.toString(), arg] as const,
  ) as Promise<R>;
}

async function openTab(page: Page): Promise<void> {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[page] ${m.text()}`);
  });
  await page.goto(`${process.env.FIXTURES_URL}/runtime.html`);
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 30_000 });
}

/** The voters of a settled (non-joint) configuration, as `page`'s node sees them. */
const voters = (page: Page): Promise<string[]> =>
  on(page, (api) => {
    const s = api.status();
    return s === null || s.joint ? [] : s.members.filter((m) => m.role === 'voter').map((m) => m.id).sort();
  }, null);

test('three tabs form a cluster over WebRTC, grow to three voters and survive losing the leader', async ({ context }) => {
  const url = await startSignaling();
  const room = `mesh-${Date.now()}`;
  const ids = ['a', 'b', 'c'];
  const tabs = new Map<string, Page>();
  for (const id of ids) {
    const page = await context.newPage();
    await openTab(page);
    tabs.set(id, page);
  }
  await on(tabs.get('a')!, (api, [u, r]) => api.joinMesh(u, r, 'a', true), [url, room] as const);
  for (const id of ['b', 'c']) await on(tabs.get(id)!, (api, [u, r, i]) => api.joinMesh(u, r, i, false), [url, room, id] as const);
  await expect.poll(() => voters(tabs.get('a')!), { timeout: 60_000 }).toEqual(ids);

  expect(await on(tabs.get('c')!, (api) => api.add(5), null)).toBe(5);
  expect(await on(tabs.get('a')!, (api) => api.get(), null)).toBe(5);
  const links = await on(tabs.get('a')!, (api) => api.status()!.members.map((m) => m.link), null);
  expect(links.filter((l) => l !== 'self').every((l) => l === 'webrtc' || l === 'relay')).toBe(true);

  const leader = await on(tabs.get('a')!, (api) => api.status()!.leader, null);
  expect(ids).toContain(leader);
  await tabs.get(leader!)!.close();
  const survivors = ids.filter((id) => id !== leader);
  // Retried internally until the survivors elect a new leader.
  expect(await on(tabs.get(survivors[0]!)!, (api) => api.add(1), null)).toBe(6);
  expect(await on(tabs.get(survivors[1]!)!, (api) => api.get(), null)).toBe(6);
  for (const id of survivors) await on(tabs.get(id)!, (api) => api.stop(), null);
});
