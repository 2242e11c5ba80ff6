import { expect, test, type Page } from '@playwright/test';
import type { HiddenPageApi } from '../fixtures/hidden-page.js';
import { call, openFixture, startSignaling } from '../fixtures/worker-e2e.js';
import type { WorkerPageApi } from '../fixtures/worker-page.js';

// A meshraft node in a dedicated Web Worker (IndexedDB opened in the worker), its WebRTC transport
// owned by the page and bridged over a MessagePort, forms a cluster with nodes in two other tabs.
let closeSignaling: (() => Promise<void>) | null = null;
test.afterEach(async () => {
  await closeSignaling?.();
  closeSignaling = null;
});

const w = <R, A>(page: Page, fn: (api: WorkerPageApi, arg: A) => R | Promise<R>, arg: A): Promise<R> => call(page, 'meshraftWorker', fn, arg);
const p = <R, A>(page: Page, fn: (api: HiddenPageApi, arg: A) => R | Promise<R>, arg: A): Promise<R> => call(page, 'meshraftHidden', fn, arg);

test('a node in a Web Worker founds a WebRTC cluster with two tabs, replicates, and restarts from its IndexedDB', async ({ context }) => {
  const signaling = await startSignaling();
  closeSignaling = signaling.close;
  const room = `worker-${Date.now()}`;
  const db = `meshraft-worker-e2e-${Date.now()}`;
  const host = await context.newPage();
  await openFixture(host, 'worker.html');
  const started = await w(host, (api, [u, r, d]) => api.start(u, r, 'w', d, true), [signaling.url, room, db] as const);
  expect(started.inWorker).toBe(true);

  const tabs: Page[] = [];
  for (const id of ['a', 'b']) {
    const tab = await context.newPage();
    await openFixture(tab, 'hidden.html');
    await p(tab, (api, [u, r, i]) => api.joinMesh(u, r, i, false), [signaling.url, room, id] as const);
    tabs.push(tab);
  }
  const voters = async (): Promise<string[]> => {
    const s = await w(host, (api) => api.status(), null);
    return s.joint ? [] : s.members.filter((m) => m.role === 'voter').map((m) => m.id).sort();
  };
  await expect.poll(voters, { timeout: 60_000 }).toEqual(['a', 'b', 'w']);
  const links = (await w(host, (api) => api.status(), null)).members.filter((m) => m.link !== 'self').map((m) => m.link);
  expect(links).toEqual(['webrtc', 'webrtc']);

  expect(await w(host, (api) => api.add(5), null)).toBe(5); // proposed in the worker
  expect(await p(tabs[0]!, (api) => api.add(2), null)).toBe(7); // proposed in a tab
  expect(await w(host, (api) => api.get(), null)).toBe(7);

  // The worker's log is in IndexedDB: a new worker on the same database is the same member.
  const before = await w(host, (api) => api.status(), null);
  await w(host, (api) => api.stop(), null);
  await w(host, (api, [u, r, d]) => api.start(u, r, 'w', d, false), [signaling.url, room, db] as const);
  const after = await w(host, (api) => api.status(), null);
  expect(after.id).toBe('w');
  // Right after start, before hearing anyone: term and configuration come from IndexedDB (fresh storage has term 0, no members).
  expect(after.term).toBeGreaterThanOrEqual(before.term);
  expect(after.members.filter((m) => m.role === 'voter').map((m) => m.id).sort()).toEqual(['a', 'b', 'w']);
  expect(await w(host, (api) => api.get('local'), null)).toBe(7);
  expect(await p(tabs[1]!, (api) => api.add(1), null)).toBe(8);
  await expect.poll(() => w(host, (api) => api.get('local'), null), { timeout: 30_000 }).toBe(8);
});
