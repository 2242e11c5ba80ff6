/**
 * Demo tabs that can really be hidden, frozen and resumed. Playwright keeps every page it drives
 * visible (its focus emulation holds the page as if captured), so these tabs live in a browser
 * context created over CDP that Playwright does not manage: there, only the front tab of each
 * window is visible, `Target.activateTarget` brings a tab to the front (the others of its window
 * get `visibilitychange` to hidden) and `Page.setWebLifecycleState` freezes (hidden first, then
 * `freeze`) and resumes a tab. Each tab is driven through its `?test` API with Runtime.evaluate.
 */
import { expect, type Browser, type CDPSession } from '@playwright/test';
import type { TabStatus } from './demo-tabs.js';

export interface WindowTab {
  readonly targetId: string;
  /** The browser window the tab is in (`Browser.getWindowForTarget`). */
  readonly windowId: number;
  /** Calls `window.meshraft[name](...args)` in the tab and resolves with its (awaited) result. */
  call<T>(name: string, ...args: readonly unknown[]): Promise<T>;
  status(): Promise<TabStatus>;
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | null>;
  metrics(): Promise<{ term: number; electionsStarted: number; leaderChanges: number }>;
  /** `document.visibilityState` as the page itself reports it. */
  visibility(): Promise<string>;
  /** Brings this tab to the front of its window (the window's other tabs become hidden). */
  activate(): Promise<void>;
  setLifecycle(state: 'frozen' | 'active'): Promise<void>;
}

export interface TabWindows {
  /**
   * Opens `url` in a new window (front tab, visible) or, with `behind`, as a background tab of
   * `behind`'s window (hidden). Waits for the test API unless `api` is false (e.g. about:blank).
   */
  open(url: string, options?: { behind?: WindowTab; api?: boolean }): Promise<WindowTab>;
  /** Closes every tab (disposes the browser context). */
  close(): Promise<void>;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string };
}
interface EvalResult {
  result?: { value?: unknown };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

export async function openTabWindows(browser: Browser): Promise<TabWindows> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  const { browserContextId } = await cdp.send('Target.createBrowserContext', { disposeOnDetach: true });
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; session: string }>();
  let seq = 1;
  // Non-flattened sessions: Playwright's CDPSession cannot address a flattened child session.
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as Partial<Reply>;
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p) return;
    pending.delete(m.id!);
    p.resolve(m as Reply);
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    for (const [id, p] of pending) {
      if (p.session !== e.sessionId) continue;
      pending.delete(id);
      p.reject(new Error('tab closed'));
    }
  });

  function send(session: string, method: string, params: object): Promise<unknown> {
    const id = seq++;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject, session });
      // Target.sendMessageToTarget is deprecated but still served.
      cdp.send('Target.sendMessageToTarget', { sessionId: session, message: JSON.stringify({ id, method, params }) }).catch(reject);
    }).then((r) => {
      if (r.error) throw new Error(`${method}: ${r.error.message}`);
      return r.result;
    });
  }

  async function evaluate<T>(session: string, expression: string): Promise<T> {
    const r = (await send(session, 'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as EvalResult;
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result?.value as T;
  }

  return {
    async open(url, options = {}) {
      const { targetId } = await cdp.send('Target.createTarget', {
        url,
        browserContextId,
        newWindow: options.behind === undefined,
        background: options.behind !== undefined,
      });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
      const { windowId } = await cdp.send('Browser.getWindowForTarget', { targetId });
      // A background tab opens in the last window; make sure it is the one meant.
      if (options.behind && windowId !== options.behind.windowId) throw new Error(`background tab opened in window ${windowId}, not ${options.behind.windowId}`);
      const call = <T>(name: string, ...args: readonly unknown[]): Promise<T> =>
        evaluate<T>(sessionId, `window.meshraft[${JSON.stringify(name)}](...${JSON.stringify(args)})`);
      if (options.api !== false) {
        await expect.poll(() => evaluate<boolean>(sessionId, `'meshraft' in window`).catch(() => false), { timeout: 30_000, message: `test API in ${url}` }).toBe(true);
      }
      return {
        targetId,
        windowId,
        call,
        status: () => call<TabStatus>('status'),
        put: (k, v) => call<void>('put', k, v),
        get: (k) => call<string | null>('get', k),
        metrics: () => call('metrics'),
        visibility: () => evaluate<string>(sessionId, 'document.visibilityState'),
        activate: async () => {
          await cdp.send('Target.activateTarget', { targetId });
        },
        setLifecycle: async (state) => {
          await send(sessionId, 'Page.setWebLifecycleState', { state });
        },
      };
    },
    async close() {
      await cdp.send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      await cdp.detach().catch(() => {});
    },
  };
}
