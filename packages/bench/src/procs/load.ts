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
import { etcdServices } from '@meshraft/etcd';
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

export type LoadApi = 'json' | 'grpc';

export async function putLoad(url: URL, connections: number, seconds: number, api: LoadApi = 'json'): Promise<LoadResult> {
  if (api === 'grpc') {
    if (!hasH2load()) throw new Error('the gRPC load needs h2load: apt-get install nghttp2-client');
    return h2load(url, connections, seconds, 'grpc');
  }
  return hasH2load() ? h2load(url, connections, seconds, 'json') : nodeLoad(url, connections, seconds);
}

/** The store's current revision, read through the JSON gateway (etcd's and meshraft's alike). */
async function revision(url: URL): Promise<number> {
  const r = JSON.parse((await post(url, '/v3/kv/range', JSON.stringify({ key: Buffer.from('bench-key').toString('base64') }))).text) as {
    header?: { revision?: string };
  };
  const rev = Number(r.header?.revision);
  if (!Number.isSafeInteger(rev)) throw new Error(`no revision in the range answer of ${url.href}`);
  return rev;
}

/**
 * One unary KV.Put call as gRPC frames it on the wire: a 5-byte prefix (not compressed, length)
 * and the PutRequest encoded by protobufjs from etcd's rpc.proto.
 */
function grpcPutBody(): Buffer {
  const msg = etcdServices().KV.Put!.requestSerialize({ key: Buffer.from('bench-key'), value: Buffer.alloc(100, 'v') });
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.length, 1);
  return Buffer.concat([prefix, msg]);
}

/**
 * JSON: HTTP/1.1 POSTs to the gateway. gRPC: HTTP/2 (h2c, prior knowledge) calls to
 * /etcdserverpb.KV/Put, one stream at a time per connection, as `connections` separate clients.
 * A gRPC error still answers HTTP 200 (the status is in the trailers), so the caller must count
 * committed writes itself (the revision moves once per put).
 */
async function h2load(url: URL, connections: number, seconds: number, api: LoadApi): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshraft-bench-load-'));
  const body = join(dir, api === 'grpc' ? 'put.bin' : 'put.json');
  writeFileSync(body, api === 'grpc' ? grpcPutBody() : BODY);
  const protocol =
    api === 'grpc'
      ? ['-H', 'content-type: application/grpc', '-H', 'te: trailers', new URL('/etcdserverpb.KV/Put', url).href]
      : ['--h1', '-H', 'content-type: application/json', new URL('/v3/kv/put', url).href];
  try {
    // gRPC: no warm-up, so the revision delta the caller reads around this run counts exactly its writes.
    const warmUp = api === 'grpc' ? [] : ['--warm-up-time', '1'];
    const rev0 = api === 'grpc' ? await revision(url) : 0;
    const p = spawnProc('h2load', ['-c', String(connections), '-m', '1', '-t', '1', '-D', String(seconds), ...warmUp, '-d', body, ...protocol]);
    await new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
    const out = p.output();
    const committed = api === 'grpc' ? (await revision(url)) - rev0 : 0;
    const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]);
    const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1];
    const errored = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(out);
    if (!Number.isFinite(rps) || !status || mean === undefined) throw new Error(`could not read h2load's output:\n${out}`);
    const non2xx = Number(status[2]) + Number(status[3]) + Number(status[4]);
    if (api === 'grpc') {
      const elapsed = Number(/finished in ([\d.]+)s/.exec(out)?.[1]);
      return {
        writesPerSec: committed / elapsed,
        meanMs: toMs(mean),
        // Answered calls that committed nothing failed inside gRPC (status in the trailers).
        errors: non2xx + Number(errored?.[1] ?? 0) + Math.max(0, Number(status[1]) - committed),
        client: 'h2load',
        clientCpu: NaN,
      };
    }
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
