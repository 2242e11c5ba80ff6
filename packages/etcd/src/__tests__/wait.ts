/** Test helpers shared by this package's in-process cluster tests. */

/** Fast Raft timing for in-memory clusters (the runtime's own tests use the same numbers). */
export const FAST_TIMING = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 };

/** Polls `probe` until it returns a value (not undefined/false); generous deadline for slow CI. */
export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
