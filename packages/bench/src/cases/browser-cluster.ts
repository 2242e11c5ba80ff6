/**
 * `pnpm bench browser-cluster` — must run inside the network namespace:
 *
 *     scripts/netns-run pnpm bench browser-cluster
 *
 * Three tabs of the demo board (demo-app, the Vite production build served with the signaling
 * server on one port, as `pnpm demo` does), each a separate headless Chromium with an on-disk
 * profile (IndexedDB with strict durability really flushes; Playwright's default contexts keep
 * IndexedDB in memory), forming one Raft cluster over WebRTC. Default demo timing (100 ms ticks,
 * election timeout 1–2 s).
 * - commits/s with 1 and 64 proposals outstanding at the leader's tab (100-byte puts, RUN_MS
 *   each) and the commit latency p50/p99 of each (propose → applied on the proposing tab);
 * - failover: the leader's tab is closed (Playwright's page.close(): `pagehide` fires and the demo's
 *   page lifecycle hands leadership over), then time until the next put from a follower commits;
 *   and the same with the leader's whole browser closed instead (no `pagehide`: the followers wait
 *   for an election timeout, 1–2 s here). Median and max over FAILOVER_TRIALS fresh clusters each.
 * Throughput figures are the median over THROUGHPUT_RUNS clusters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, requireNetworkInterface, type BenchCase, type BenchResult } from '../bench-case.js';

const FAILOVER_TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 10);
const THROUGHPUT_RUNS = 3;
const RUN_MS = 2000;
const VALUE_BYTES = 100;
const OUTSTANDING = [1, 64] as const;
const TICK_MS = 100;

const repo = new URL('../../../../', import.meta.url);
// Playwright is e2e's (test-only) dependency; the demo server is demo-app's code.
const fromE2e = createRequire(new URL('e2e/package.json', repo));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`bench browser-cluster: timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Status {
  id: string;
  role: string;
  leader: string | null;
  writable: boolean;
  members: { id: string; role: string; link: string }[];
}
interface PwPage {
  close(): Promise<void>;
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: () => boolean, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
interface PwContext {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
interface Chromium {
  launchPersistentContext(dir: string, options: object): Promise<PwContext>;
}
type Api = {
  meshraft: {
    status(): Status;
    put(k: string, v: string): Promise<void>;
    metrics(): { storageWriteLatency?: { count: number; sumSeconds: number } };
  };
};

/** Storage writes so far on a tab: count and total seconds (for the mean over a run). */
function writes(tab: Tab): Promise<{ count: number; sumSeconds: number }> {
  return tab.page.evaluate(() => {
    const h = (window as unknown as Api).meshraft.metrics().storageWriteLatency;
    return { count: h?.count ?? 0, sumSeconds: h?.sumSeconds ?? 0 };
  }, null);
}

/** The slices of demo-app's server modules used here (the bench does not depend on demo-app). */
interface DemoBuild {
  ensureBuilt(): Promise<boolean>;
  readonly distDir: string;
}
interface DemoServerModule {
  startDemoServer(o: { port: number; root: string }): Promise<{ url: string; close(): Promise<void> }>;
}

interface Tab {
  readonly page: PwPage;
  close(): Promise<void>;
  status(): Promise<Status>;
}

async function openTab(chromium: Chromium, launch: object, url: string): Promise<Tab> {
  const profile = mkdtempSync(join(tmpdir(), 'meshraft-bench-tab-'));
  const context = await chromium.launchPersistentContext(profile, launch);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => 'meshraft' in window, null, { timeout: 60_000 });
  let closed = false;
  return {
    page,
    status: () => page.evaluate(() => (window as unknown as Api).meshraft.status(), null),
    async close() {
      if (closed) return;
      closed = true;
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Three tabs, the first founding the room; resolves once all see one leader and three voters over WebRTC. */
async function openCluster(chromium: Chromium, launch: object, origin: string, room: string): Promise<{ tabs: Tab[]; leader: Tab }> {
  const url = `${origin}/?room=${room}&test&tick=${TICK_MS}`;
  const tabs: Tab[] = [];
  try {
    // Only a tab opened with `found` founds a board; the others join it (docs/demo.md).
    tabs.push(await openTab(chromium, launch, `${url}&found=1`));
    await waitFor(async () => (await tabs[0]!.status()).role === 'leader', 'the founding tab');
    tabs.push(await openTab(chromium, launch, url), await openTab(chromium, launch, url));
    let leaderId = '';
    await waitFor(async () => {
      const ss = await Promise.all(tabs.map((t) => t.status()));
      const l = ss[0]!.leader;
      const formed =
        l !== null &&
        ss.every(
          (s) =>
            s.leader === l && s.writable && s.members.filter((m) => m.role === 'voter').length === 3 &&
            s.members.every((m) => m.id === s.id || m.link === 'webrtc'),
        );
      if (formed) leaderId = l;
      return formed;
    }, 'three voters over WebRTC');
    const ids = await Promise.all(tabs.map(async (t) => (await t.status()).id));
    return { tabs, leader: tabs[ids.indexOf(leaderId)]! };
  } catch (err) {
    await Promise.all(tabs.map((t) => t.close()));
    throw err;
  }
}

/** `outstanding` put loops at the tab for `ms`: commits and each commit's latency. */
function load(tab: Tab, outstanding: number, ms: number): Promise<{ commits: number; seconds: number; latencies: number[] }> {
  return tab.page.evaluate(
    async ([k, dur, bytes]) => {
      const api = (window as unknown as Api).meshraft;
      const value = 'x'.repeat(bytes);
      const latencies: number[] = [];
      const t0 = performance.now();
      const end = t0 + dur;
      let seq = 0;
      // Anonymous functions only: tsx names named ones with a helper that does not exist in the page.
      await Promise.all(
        Array.from({ length: k }, async (_, w) => {
          while (performance.now() < end) {
            const s = performance.now();
            await api.put(`bench/${w}/${seq++ % 64}`, value);
            latencies.push(performance.now() - s);
          }
        }),
      );
      return { commits: latencies.length, seconds: (performance.now() - t0) / 1000, latencies };
    },
    [outstanding, ms, VALUE_BYTES] as const,
  );
}

const browserCluster: BenchCase = {
  async *run() {
    requireNetworkInterface('browser-cluster');
    const { ensureBuilt, distDir } = (await import(new URL('demo-app/src/server/build-app.ts', repo).href)) as DemoBuild;
    const { startDemoServer } = (await import(new URL('demo-app/src/server/demo-server.ts', repo).href)) as DemoServerModule;
    const { chromiumArgs, chromiumExecutable } = (await import(new URL('e2e/support/chromium.ts', repo).href)) as {
      chromiumArgs: string[];
      chromiumExecutable(): string | undefined;
    };
    const { chromium } = fromE2e('@playwright/test') as { chromium: Chromium };
    await ensureBuilt();
    const server = await startDemoServer({ port: 0, root: distDir });
    const executablePath = chromiumExecutable();
    const launch = { headless: true, args: chromiumArgs, ...(executablePath ? { executablePath } : {}) };
    const origin = server.url.replace(/\/$/, '');
    const stamp = Date.now().toString(36);
    const rate = new Map<number, number[]>(OUTSTANDING.map((k) => [k, []]));
    const p50 = new Map<number, number[]>(OUTSTANDING.map((k) => [k, []]));
    const p99 = new Map<number, number[]>(OUTSTANDING.map((k) => [k, []]));
    const failovers = { tab: [] as number[], browser: [] as number[] };
    const saveMean = new Map<number, number[]>(OUTSTANDING.map((k) => [k, []]));
    try {
      for (let trial = 0; trial < 2 * FAILOVER_TRIALS; trial++) {
        const closing = trial % 2 === 0 ? 'tab' : 'browser';
        const { tabs, leader } = await openCluster(chromium, launch, origin, `bench-${stamp}-${trial}`);
        try {
          if (trial < THROUGHPUT_RUNS) {
            await load(leader, 4, 300); // warm-up
            for (const k of OUTSTANDING) {
              const w0 = await Promise.all(tabs.map(writes));
              const r = await load(leader, k, RUN_MS);
              const w1 = await Promise.all(tabs.map(writes));
              const count = w1.reduce((a, w, i) => a + w.count - w0[i]!.count, 0);
              const secs = w1.reduce((a, w, i) => a + w.sumSeconds - w0[i]!.sumSeconds, 0);
              if (count > 0) saveMean.get(k)!.push((secs / count) * 1000);
              rate.get(k)!.push(r.commits / r.seconds);
              p50.get(k)!.push(percentile(r.latencies, 50));
              p99.get(k)!.push(percentile(r.latencies, 99));
            }
          }
          const follower = tabs.find((t) => t !== leader)!;
          await follower.page.evaluate(() => (window as unknown as Api).meshraft.put('failover/warm', '1'), null);
          const t0 = performance.now();
          await (closing === 'tab' ? leader.page.close() : leader.close());
          await follower.page.evaluate(() => (window as unknown as Api).meshraft.put('failover/next', '1'), null);
          failovers[closing].push(performance.now() - t0);
        } finally {
          await Promise.all(tabs.map((t) => t.close()));
        }
      }
    } finally {
      await server.close();
    }
    const round = (n: number): number => Math.round(n * 100) / 100;
    const extra = { tabs: 3, link: 'webrtc', storage: 'indexeddb-strict', tickMs: TICK_MS, valueBytes: VALUE_BYTES };
    for (const k of OUTSTANDING) {
      const runs = { outstanding: k, runs: THROUGHPUT_RUNS, ...extra };
      yield { metric: 'commits', value: Math.round(median(rate.get(k)!)), unit: 'commits/s', ...runs } satisfies BenchResult;
      yield { metric: 'commit_latency_p50', value: round(median(p50.get(k)!)), unit: 'ms', ...runs };
      yield { metric: 'commit_latency_p99', value: round(median(p99.get(k)!)), unit: 'ms', ...runs };
      // Where the time goes: one IndexedDB write per Ready on each tab (mean over all three tabs).
      yield { metric: 'storage_write_mean', value: round(median(saveMean.get(k)!)), unit: 'ms', ...runs };
    }
    for (const closing of ['tab', 'browser'] as const) {
      const f = failovers[closing];
      const runs = { closed: closing, trials: f.length, ...extra };
      yield { metric: 'failover_median', value: Math.round(median(f)), unit: 'ms', ...runs } satisfies BenchResult;
      yield { metric: 'failover_max', value: Math.round(Math.max(...f)), unit: 'ms', ...runs } satisfies BenchResult;
    }
  },
};

export default browserCluster;
