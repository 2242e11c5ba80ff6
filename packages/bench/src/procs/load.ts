/**
 * @module procs/load
 * Closed-loop PUT load against an etcd JSON gateway: h2load (C, from Debian's nghttp2-client)
 * when installed, so the load generator is not what limits the server on a 2-core machine;
 * otherwise a Node client whose own CPU use is reported beside its figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnProc } from './child.js';
import { post } from './http.js';

export interface LoadResult {
  readonly writesPerSec: number;
  readonly meanMs: number;
  readonly errors: number;
  readonly client: 'h2load' | 'node';
  /** CPU seconds the load generator used per second of load (its own cost). */
  readonly clientCpu: number;
}

export function hasH2load(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const BODY = JSON.stringify({ key: Buffer.from('bench-key').toString('base64'), value: Buffer.alloc(100, 'v').toString('base64') });

export async function putLoad(url: URL, connections: number, seconds: number): Promise<LoadResult> {
  return hasH2load() ? h2load(url, connections, seconds) : nodeLoad(url, connections, seconds);
}

async function h2load(url: URL, connections: number, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshraft-bench-load-'));
  const body = join(dir, 'put.json');
  writeFileSync(body, BODY);
  try {
    const p = spawnProc('h2load', ['--h1', '-c', String(connections), '-m', '1', '-t', '1', '-D', String(seconds), '--warm-up-time', '1', '-d', body,
      '-H', 'content-type: application/json', new URL('/v3/kv/put', url).href]);
    await new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
    const out = p.output();
    const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]);
    const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1];
    const errored = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(out);
    if (!Number.isFinite(rps) || !status || mean === undefined) throw new Error(`could not read h2load's output:\n${out}`);
    const non2xx = Number(status[2]) + Number(status[3]) + Number(status[4]);
    // req/s counts every answer; writes/s counts only 2xx ones.
    const total = Number(status[1]) + non2xx;
    return {
      writesPerSec: total > 0 ? (rps * Number(status[1])) / total : 0,
      meanMs: toMs(mean),
      errors: non2xx + Number(errored?.[1] ?? 0),
      client: 'h2load',
      clientCpu: NaN,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toMs(v: string): number {
  const n = parseFloat(v);
  if (v.endsWith('us')) return n / 1000;
  if (v.endsWith('ms')) return n;
  if (v.endsWith('s')) return n * 1000;
  return n;
}

async function nodeLoad(url: URL, connections: number, seconds: number): Promise<LoadResult> {
  const cpu0 = process.cpuUsage();
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await post(url, '/v3/kv/put', BODY).catch(() => ({ status: 0 }));
        if (r.status === 200) lat.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return {
    writesPerSec: lat.length / seconds,
    meanMs: lat.reduce((s, x) => s + x, 0) / Math.max(1, lat.length),
    errors,
    client: 'node',
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}
