/** Test helpers: wait for an event or a condition without asserting on timing. */

export function nextEvent<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  predicate: (...args: A) => boolean = () => true,
): Promise<A> {
  return new Promise((resolve) => {
    const off = on((...args) => {
      if (!predicate(...args)) return;
      off();
      resolve(args);
    });
  });
}

/** Poll `cond` until it holds; fails after `timeoutMs` with `what`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { seededRandom } from '@meshraft/core';
