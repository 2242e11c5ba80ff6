/**
 * `pnpm bench webrtc` — must run inside the network namespace:
 *
 *     scripts/netns-run pnpm bench webrtc
 *
 * (ICE gathers no candidates without a non-loopback interface; the case checks and says so.)
 *
 * WebRTC transport over real data channels, signaling server in this process:
 * - node-node: two transports with @roamhq/wrtc in this one Node process (they share its
 *   event loop, like the relay case);
 * - browser-browser: two Chromium pages (Playwright) of a Vite production build of the fixture
 *   page e2e/fixtures/webrtc.html (a build, not the dev server: no dependency re-optimisation
 *   reloading the page mid-run, and it is what an app ships).
 * Metrics: round-trip latency of 100-byte frames (ping-pong, one in flight), p50/p99; one-way
 * throughput with backpressure (the sender waits whenever send() refuses), frames/s with
 * 100-byte frames and MB/s with 64 KiB frames. Each figure is the median of RUNS runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';
import type { Transport } from '@meshraft/transport';
import { createWebRtcTransport, type WrtcLike } from '@meshraft/transport/webrtc';
import { median, percentile, requireNetworkInterface, type BenchCase, type BenchResult } from '../bench-case.js';

const RUNS = 3;
const RTT_SAMPLES = 500;
const SMALL = 100;
const SMALL_COUNT = 20_000;
const LARGE = 64 * 1024;
const LARGE_COUNT = 512; // 32 MiB
const MB = 1024 * 1024;

const repo = new URL('../../../../', import.meta.url);
// Test-only tools live with the packages that use them: wrtc with the transport, Playwright
// and Vite with e2e.
const fromTransport = createRequire(new URL('packages/transport/package.json', repo));
const fromE2e = createRequire(new URL('e2e/package.json', repo));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`bench webrtc: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** One side of a measured pair, in Node or in a page. */
interface Endpoint {
  pingPong(count: number, size: number): Promise<number[]>;
  blast(count: number, size: number): Promise<void>;
  receivedCount(): Promise<number>;
  setEcho(on: boolean): Promise<void>;
  close(): Promise<void>;
}

async function measure(make: (room: string) => Promise<[Endpoint, Endpoint]>, pair: string): Promise<BenchResult[]> {
  const rtt50: number[] = [];
  const rtt99: number[] = [];
  const fps: number[] = [];
  const mbps: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const [a, b] = await make(`bench-${pair}-${run}`);
    try {
      await b.setEcho(true);
      await a.pingPong(20, SMALL); // warm-up
      const samples = await a.pingPong(RTT_SAMPLES, SMALL);
      rtt50.push(percentile(samples, 50));
      rtt99.push(percentile(samples, 99));
      await b.setEcho(false);
      for (const [size, count, out] of [[SMALL, SMALL_COUNT, fps], [LARGE, LARGE_COUNT, mbps]] as const) {
        const before = await b.receivedCount();
        const t0 = performance.now();
        await a.blast(count, size);
        await waitFor(async () => (await b.receivedCount()) >= before + count, `${count} frames`);
        const seconds = (performance.now() - t0) / 1000;
        out.push(size === SMALL ? count / seconds : (count * size) / MB / seconds);
      }
    } finally {
      await a.close();
      await b.close();
    }
  }
  const extra = { pair, runs: RUNS };
  return [
    { metric: 'rtt_p50', value: median(rtt50), unit: 'ms', frameBytes: SMALL, ...extra },
    { metric: 'rtt_p99', value: median(rtt99), unit: 'ms', frameBytes: SMALL, ...extra },
    { metric: 'throughput', value: median(fps), unit: 'frames/s', frameBytes: SMALL, ...extra },
    { metric: 'throughput', value: median(mbps), unit: 'MB/s', frameBytes: LARGE, ...extra },
  ];
}

// ---- Node <-> Node ---------------------------------------------------------------------------

function nodeEndpoint(t: Transport, to: string): Endpoint {
  let received = 0;
  let echo = false;
  let onFrame: (() => void) | null = null;
  t.on('frame', (from, frame) => {
    received++;
    if (echo) t.send(from, frame);
    onFrame?.();
  });
  return {
    async pingPong(count, size) {
      const frame = new Uint8Array(size);
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const arrived = new Promise<void>((r) => (onFrame = r));
        const t0 = performance.now();
        if (!t.send(to, frame)) throw new Error('ping refused');
        await arrived;
        times.push(performance.now() - t0);
      }
      onFrame = null;
      return times;
    },
    async blast(count, size) {
      const frame = new Uint8Array(size).fill(7);
      for (let i = 0; i < count; ) {
        if (t.send(to, frame)) i++;
        else await sleep(1); // queue full: let the channel drain
      }
    },
    receivedCount: async () => received,
    async setEcho(on) {
      echo = on;
    },
    close: () => t.close(),
  };
}

async function nodePair(server: SignalingServer, room: string): Promise<[Endpoint, Endpoint]> {
  const wrtc = fromTransport('@roamhq/wrtc') as WrtcLike;
  const make = (peer: string) =>
    createWebRtcTransport({ signaling: { urls: server.url, room, peer }, wrtc, wake: false, pingIntervalMs: 60_000 });
  const a = make('a');
  const b = make('b');
  // Errors such as QUEUE_FULL are the expected answer to a blast; nothing to report.
  a.on('error', () => {});
  const up = (t: Transport, peer: string) => t.links().some((l) => l.peer === peer && l.state === 'webrtc');
  await waitFor(() => up(a, 'b') && up(b, 'a'), 'node data channels');
  return [nodeEndpoint(a, 'b'), nodeEndpoint(b, 'a')];
}

// ---- browser <-> browser ---------------------------------------------------------------------

interface PageApi {
  start(url: string, room: string, peer: string): void;
  links(): { peer: string; state: string }[];
  pingPong(to: string, count: number, size: number): Promise<number[]>;
  blast(to: string, count: number, size: number): Promise<void>;
  receivedCount(): number;
  setEcho(on: boolean): void;
  close(): Promise<void>;
}

interface PwPage {
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

type Api = { meshraftWebrtc: PageApi };

/** The slice of Vite's API used here (Vite is e2e's dependency, not bench's). */
interface ViteApi {
  defaultClientConditions: readonly string[];
  build(config: object): Promise<unknown>;
  preview(config: object): Promise<{
    close(): Promise<void>;
    httpServer: { address(): string | { port: number } | null };
  }>;
}

function pageEndpoint(page: PwPage, to: string): Endpoint {
  const api = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(fn, arg);
  return {
    pingPong: (count, size) => api(([t, c, s]) => (window as unknown as Api).meshraftWebrtc.pingPong(t, c, s), [to, count, size] as const),
    blast: (count, size) => api(([t, c, s]) => (window as unknown as Api).meshraftWebrtc.blast(t, c, s), [to, count, size] as const),
    receivedCount: () => api(() => (window as unknown as Api).meshraftWebrtc.receivedCount(), null),
    setEcho: (on) => api((o) => (window as unknown as Api).meshraftWebrtc.setEcho(o), on),
    close: async () => {
      await api(() => (window as unknown as Api).meshraftWebrtc.close(), null);
      await page.close();
    },
  };
}

async function browserPairs(server: SignalingServer): Promise<{ make: (room: string) => Promise<[Endpoint, Endpoint]>; stop: () => Promise<void> }> {
  const { chromium } = fromE2e('@playwright/test') as { chromium: { launch(o: object): Promise<PwBrowser> } };
  const vite = (await import(fromE2e.resolve('vite'))) as ViteApi;
  const { chromiumArgs, chromiumExecutable } = (await import(new URL('e2e/support/chromium.ts', repo).href)) as {
    chromiumArgs: string[];
    chromiumExecutable(): string | undefined;
  };
  const root = fileURLToPath(new URL('e2e/fixtures', repo));
  const outDir = mkdtempSync(join(tmpdir(), 'meshraft-bench-webrtc-'));
  await vite.build({
    root,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['source', ...vite.defaultClientConditions] },
    build: { outDir, emptyOutDir: true, rollupOptions: { input: join(root, 'webrtc.html') } },
  });
  const web = await vite.preview({ root, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  const address = web.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite server has no port');
  const pageUrl = `http://127.0.0.1:${address.port}/webrtc.html`;
  const executablePath = chromiumExecutable();
  const browser = await chromium.launch({ headless: true, args: chromiumArgs, ...(executablePath ? { executablePath } : {}) });
  const open = async (room: string, peer: string): Promise<PwPage> => {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await waitFor(() => page.evaluate(() => document.getElementById('status')?.textContent === 'ready', null), 'fixture page');
    await page.evaluate(([u, r, p]) => (window as unknown as Api).meshraftWebrtc.start(u, r, p), [server.url, room, peer] as const);
    return page;
  };
  return {
    async make(room) {
      const a = await open(room, 'a');
      const b = await open(room, 'b');
      const up = (page: PwPage, peer: string) =>
        page.evaluate((p) => (window as unknown as Api).meshraftWebrtc.links().some((l) => l.peer === p && l.state === 'webrtc'), peer);
      await waitFor(async () => (await up(a, 'b')) && (await up(b, 'a')), 'browser data channels');
      return [pageEndpoint(a, 'b'), pageEndpoint(b, 'a')];
    },
    async stop() {
      await browser.close();
      await web.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

const webrtc: BenchCase = {
  async *run() {
    requireNetworkInterface('webrtc');
    const server = await createSignalingServer({ host: '127.0.0.1', port: 0, limits: { messagesPerSecond: 1_000_000 } });
    try {
      yield* await measure((room) => nodePair(server, room), 'node-node');
      const browsers = await browserPairs(server);
      try {
        yield* await measure(browsers.make, 'browser-browser');
      } finally {
        await browsers.stop();
      }
    } finally {
      await server.close(50);
    }
  },
};

export default webrtc;
