/**
 * @module write-trace
 * Timestamps along a write's path through a Node process, for `pnpm bench write-path`: set
 * MESHRAFT_WRITE_TRACE=DIR and each process keeps `<epoch ms> <event> <a> <b>` lines in memory and
 * writes them to DIR/<pid>.log when it exits. Elsewhere (and in browsers, which have no such
 * variable) every trace point costs one boolean test. Events: http-in/http-out (etcd gateway),
 * propose, ready (last entry index, last committed index), save0/save1 (storage save), step
 * (message type, index), applied, rx/tx0/tx1 (WebRTC data-channel message in, send call begun/ended).
 */
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const dir = env?.MESHRAFT_WRITE_TRACE;
const lines: string[] = [];

/** Whether this process records write-path timestamps. */
export const writeTracing = dir !== undefined && dir !== '';

/** Records one event (call only under `if (writeTracing)`, so nothing is built when off). */
export function writeTrace(event: string, a: string | number = '', b: string | number = ''): void {
  lines.push(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${event} ${a} ${b}`);
}

if (writeTracing) {
  const proc = (globalThis as unknown as { process: NodeJS.Process }).process;
  proc.on('exit', () => {
    // At exit only synchronous writes run; node:fs is reached without a static import so the
    // module stays loadable in browsers.
    const fs = proc.getBuiltinModule('node:fs');
    fs.writeFileSync(`${dir}/${proc.pid}.log`, `${lines.join('\n')}\n`);
  });
}
