/**
 * Tabs of the demo board for the e2e suite: each tab in its own browser context (its own
 * IndexedDB), driven through the page's `?test` API (`window.meshraft`).
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

export interface TabStatus {
  id: string;
  role: string;
  term: number;
  leader: string | null;
  commit: number;
  applied: number;
  /** `campaign`: the member's campaign switch as this tab last heard it (null: not told yet). */
  members: { id: string; role: string; link: string; rttMs: number | null; campaign: boolean | null }[];
  writable: boolean;
  reason: string;
  origin: string;
  database: string;
}

export interface CardInfo {
  id: string;
  title: string;
  column: string;
  claim: { by: string; name: string } | null;
}

export interface Tab {
  readonly page: Page;
  readonly context: BrowserContext;
  status(): Promise<TabStatus>;
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | null>;
  localGet(key: string): Promise<string | null>;
  localKv(key: string): Promise<{ value: string; version: number; modRevision: number } | null>;
  revision(): Promise<number>;
  setPartitioned(on: boolean): Promise<void>;
  cards(): Promise<CardInfo[]>;
  close(): Promise<void>;
}

/** Fast Raft timing for tests: 25 ms ticks, election timeout 250–500 ms. */
export const FAST = { tick: '25', fallback: '3000' };

let roomSeq = 0;
/** A room name no other test (or earlier run against the same server) uses. */
export function freshRoom(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${roomSeq++}`;
}

type Api = {
  status(): TabStatus;
  put(k: string, v: string): Promise<void>;
  get(k: string): Promise<string | null>;
  localGet(k: string): string | null;
  localKv(k: string): { value: string; version: number; modRevision: number } | null;
  revision(): number;
  setPartitioned(on: boolean): void;
  cards(): CardInfo[];
};

function api(page: Page): Api {
  return new Proxy({} as Api, {
    get: (_t, name: string) => (...args: unknown[]) =>
      page.evaluate(([n, a]) => {
        const m = (window as unknown as { meshraft: Record<string, (...x: unknown[]) => unknown> }).meshraft;
        return m[n]!(...a);
      }, [name, args] as const),
  });
}

export function tabUrl(origin: string, room: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ room, test: '', ...FAST, ...params });
  return `${origin}/?${q.toString().replace('test=&', 'test&')}`;
}

/** Navigates `page` (a reload when `url` is its current one) and waits for the test API. */
export async function load(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => 'meshraft' in window, null, { timeout: 30_000 });
}

/** Opens a tab in an existing context (same IndexedDB as its other tabs). */
export async function openTabIn(context: BrowserContext, url: string): Promise<Tab> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[page] ${m.text()}`);
  });
  await load(page, url);
  return tabOf(context, page);
}

/** A Tab over a page already showing the demo with its test API. */
export function tabOf(context: BrowserContext, page: Page): Tab {
  const a = api(page);
  return {
    page,
    context,
    status: () => a.status() as unknown as Promise<TabStatus>,
    put: (k, v) => a.put(k, v) as unknown as Promise<void>,
    get: (k) => a.get(k) as unknown as Promise<string | null>,
    localGet: (k) => a.localGet(k) as unknown as Promise<string | null>,
    localKv: (k) => a.localKv(k) as unknown as Promise<{ value: string; version: number; modRevision: number } | null>,
    revision: () => a.revision() as unknown as Promise<number>,
    setPartitioned: (on) => a.setPartitioned(on) as unknown as Promise<void>,
    cards: () => a.cards() as unknown as Promise<CardInfo[]>,
    close: () => page.close(),
  };
}

/** Opens a tab in a fresh browser context (fresh IndexedDB). */
export async function openTab(browser: Browser, url: string): Promise<Tab> {
  const context = await browser.newContext();
  return openTabIn(context, url);
}

export interface ClusterWait {
  timeout?: number;
  /** Only a leader this accepts counts (e.g. "not the tab just hidden"). */
  leader?: (id: string) => boolean;
  /** The assertion's message when it times out. */
  message?: string;
}

/** Waits until every tab sees the same leader (one `leader` accepts) and `voters` voters, all writable. */
export async function waitForCluster(tabs: readonly Pick<Tab, 'status'>[], voters: number, wait: number | ClusterWait = 60_000): Promise<string> {
  const { timeout = 60_000, leader: accept = () => true, message } = typeof wait === 'number' ? { timeout: wait } : wait;
  let leader = '';
  await expect
    .poll(
      async () => {
        const ss = await Promise.all(tabs.map((t) => t.status()));
        const l = ss[0]!.leader;
        const ok = l !== null && accept(l) && ss.every((s) => s.leader === l && s.writable && s.members.filter((m) => m.role === 'voter').length === voters);
        if (ok) leader = l;
        return ok ? 'formed' : JSON.stringify(ss.map((s) => ({ id: s.id, role: s.role, term: s.term, leader: s.leader, voters: s.members.filter((m) => m.role === 'voter').length, reason: s.reason })));
      },
      { timeout, intervals: [100, 250, 500], message },
    )
    .toBe('formed');
  return leader;
}

/** Opens `n` tabs one after the other (each joins the cluster the first one founded). */
export async function openCluster(browser: Browser, origin: string, room: string, n: number, params: Record<string, string> = {}): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let i = 0; i < n; i++) {
    // The first tab founds ("New board": ?found); the others join it.
    tabs.push(await openTab(browser, tabUrl(origin, room, i === 0 ? { ...params, found: '1' } : params)));
    // The founder must exist before the others look at the room.
    if (i === 0) await expect.poll(async () => (await tabs[0]!.status()).role, { timeout: 20_000 }).toBe('leader');
  }
  return tabs;
}

export async function closeAll(tabs: readonly Tab[]): Promise<void> {
  await Promise.all(tabs.map((t) => t.context.close().catch(() => {})));
}
