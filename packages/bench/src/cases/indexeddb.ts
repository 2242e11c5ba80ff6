/**
 * `pnpm bench indexeddb`: the IndexedDB backend (@meshraft/storage/indexeddb) in headless
 * Chromium with a persistent profile under os.tmpdir() (so IndexedDB is on disk), page
 * e2e/fixtures/indexeddb-bench.html served by Vite's dev server on loopback.
 * Sequential saves (one in flight, as a node persisting one Ready at a time) of 1, 64 and 1024
 * 100-byte entries plus a hard state, with durability 'strict' (the default: the browser flushes
 * to disk before the save resolves) and 'relaxed'. Timed inside the page. Each figure is the
 * median over RUNS runs of RUN_MS each, each run on a fresh database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, type BenchCase, type BenchResult } from '../bench-case.js';

const RUNS = 3;
const RUN_MS = 800;
const ENTRY_BYTES = 100;
const BATCHES = [1, 64, 1024] as const;
const DURABILITIES = ['strict', 'relaxed'] as const;
type Durability = (typeof DURABILITIES)[number];

const repo = new URL('../../../../', import.meta.url);
// Playwright and Vite are e2e's (test-only) dependencies, not bench's.
const fromE2e = createRequire(new URL('e2e/package.json', repo));

interface RunResult {
  readonly saves: number;
  readonly entries: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}
type PageApi = { meshraftIdbBench: { run(b: number, e: number, d: Durability, ms: number): Promise<RunResult> } };

/** The slices of Playwright's and Vite's APIs used here. */
interface PwPage {
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: () => boolean): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
interface PwContext {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
interface PwChromium {
  launchPersistentContext(userDataDir: string, options: object): Promise<PwContext>;
}
interface ViteApi {
  createServer(config: object): Promise<{
    listen(): Promise<unknown>;
    close(): Promise<void>;
    httpServer: { address(): string | { port: number } | null } | null;
  }>;
}

async function openPage(): Promise<{ page: PwPage; stop: () => Promise<void> }> {
  const { chromium } = fromE2e('@playwright/test') as { chromium: PwChromium };
  const vite = (await import(fromE2e.resolve('vite'))) as ViteApi;
  const { chromiumArgs, chromiumExecutable } = (await import(new URL('e2e/support/chromium.ts', repo).href)) as {
    chromiumArgs: string[];
    chromiumExecutable(): string | undefined;
  };
  const server = await vite.createServer({
    root: fileURLToPath(new URL('e2e/fixtures', repo)),
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
    // No dependency discovery: a re-optimisation would reload the page in the middle of a run.
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite server has no port');
  const executablePath = chromiumExecutable();
  // A persistent profile on disk: Playwright's default contexts are off-the-record, and there
  // IndexedDB lives in memory, which would measure neither durability mode.
  const profile = await mkdtemp(join(tmpdir(), 'meshraft-bench-idb-'));
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    args: chromiumArgs,
    ...(executablePath ? { executablePath } : {}),
  });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${address.port}/indexeddb-bench.html`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  return {
    page,
    stop: async () => {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

async function* measure(page: PwPage, batch: number, durability: Durability): AsyncIterable<BenchResult> {
  const runs: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(
      await page.evaluate(
        ([b, e, d, ms]) => (window as unknown as PageApi).meshraftIdbBench.run(b, e, d, ms),
        [batch, ENTRY_BYTES, durability, RUN_MS] as const,
      ),
    );
  }
  const extra = { batch, entryBytes: ENTRY_BYTES, durability, runs: RUNS, browser: 'chromium-headless', profile: 'on-disk' };
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  yield { metric: 'append_throughput', value: Math.round(median(runs.map((r) => r.entries / r.seconds))), unit: 'entries/s', ...extra };
  yield { metric: 'save_rate', value: Math.round(median(runs.map((r) => r.saves / r.seconds))), unit: 'saves/s', ...extra };
  yield { metric: 'save_latency_p50', value: round(median(runs.map((r) => percentile(r.latenciesMs, 50)))), unit: 'ms', ...extra };
  yield { metric: 'save_latency_p99', value: round(median(runs.map((r) => percentile(r.latenciesMs, 99)))), unit: 'ms', ...extra };
}

const indexeddb: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const { page, stop } = await openPage();
    try {
      for (const durability of DURABILITIES) {
        for (const batch of BATCHES) yield* measure(page, batch, durability);
      }
    } finally {
      await stop();
    }
  },
};

export default indexeddb;
