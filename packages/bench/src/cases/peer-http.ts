/**
 * `pnpm bench peer-http`: three `meshraft peer` processes (file storage, fsync on, relay
 * transport through a signaling server process, all on loopback) driven through the etcd JSON
 * gateway by 1, 16, 64 and 256 concurrent clients doing puts over keep-alive HTTP, each level for
 * a fixed duration. Two targets: every client on the leader, and clients spread over all three
 * members (followers forward to the leader). Reports writes/s and p50/p99 latency per level.
 * Also the leader's entries per storage save and mean save time (group commit, from /metrics).
 * Env: PEER_HTTP_SECONDS (per level, default 5), PEER_HTTP_RUNS (default 1; medians over runs),
 * PEER_HTTP_WEBRTC=1 (WebRTC data channels instead of the relay; run under scripts/netns-run),
 * PEER_HTTP_CLIENTS=1,16 and PEER_HTTP_TARGETS=leader (subsets), PEER_HTTP_CPU_PROF=DIR (V8 CPU profiles of every peer and the signaling server, written at exit),
 * PEER_HTTP_PROTOCOL=grpc (puts through etcd's gRPC KV service on the same port, one HTTP/2
 * channel per member, instead of the JSON gateway), PEER_HTTP_LOAD=h2load (the JSON puts come from
 * h2load, one process per target member, instead of this process: on 2 cores the Node client caps
 * the server; adds peer_cpu_us_per_write, the CPU all three peers spent per acknowledged write).
 */
import { etcdGrpcClient } from '@meshraft/etcd';
import { median, percentile, type BenchCase, type BenchResult } from '../bench-case.js';
import { cpuSeconds } from '../procs/child.js';
import { agent, get, post } from '../procs/http.js';
import { putLoad } from '../procs/load.js';
import { startMeshraftCluster, type RunningCluster } from '../procs/meshraft-cluster.js';

const SECONDS = Number(process.env.PEER_HTTP_SECONDS ?? 5);
const RUNS = Number(process.env.PEER_HTTP_RUNS ?? 1);
const LEVELS = (process.env.PEER_HTTP_CLIENTS ?? '1,16,64,256').split(',').map(Number);
const TARGETS = (process.env.PEER_HTTP_TARGETS ?? 'leader,all').split(',') as ('leader' | 'all')[];
const WEBRTC = process.env.PEER_HTTP_WEBRTC === '1';
const CPU_PROF = process.env.PEER_HTTP_CPU_PROF;
const VALUE = Buffer.alloc(100, 'v').toString('base64');
const PROTOCOL = process.env.PEER_HTTP_PROTOCOL === 'grpc' ? 'grpc' : 'json';
const RAW_VALUE = Buffer.alloc(100, 'v');
const H2LOAD = process.env.PEER_HTTP_LOAD === 'h2load';
if (H2LOAD && PROTOCOL === 'grpc') throw new Error('PEER_HTTP_LOAD=h2load drives the JSON gateway only; unset PEER_HTTP_PROTOCOL');

type PutFn = (key: string) => Promise<boolean>;

/** One put through the JSON gateway or the gRPC KV service; true when it succeeded. */
function putter(url: URL): PutFn {
  if (PROTOCOL === 'json') {
    return (key) =>
      post(url, '/v3/kv/put', JSON.stringify({ key: Buffer.from(key).toString('base64'), value: VALUE })).then(
        (r) => r.status === 200,
        () => false,
      );
  }
  const client = etcdGrpcClient('KV', url.host) as unknown as Record<string, (req: object, cb: (err: Error | null) => void) => void>;
  return (key) => new Promise((resolve) => client.Put!({ key: Buffer.from(key), value: RAW_VALUE }, (err) => resolve(err === null)));
}

/** Frames the signaling server relayed so far (its GET /stats): Raft messages on the wire. */
async function relayedFrames(signaling: URL): Promise<number> {
  return (JSON.parse(await get(signaling, '/stats')) as { relayedFrames: number }).relayedFrames;
}

/** The leader's storage counters from /metrics: how well the runtime batches entries per fsync. */
async function storageCounters(leader: URL): Promise<{ saves: number; saveSeconds: number; applied: number }> {
  const text = await get(leader, '/metrics');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    saves: value('meshraft_storage_write_duration_seconds_count'),
    saveSeconds: value('meshraft_storage_write_duration_seconds_sum'),
    applied: value('meshraft_raft_applied_index'),
  };
}

interface Level {
  /** Relayed frames per acknowledged write (NaN over WebRTC, where frames bypass the server). */
  readonly framesPerWrite: number;
  readonly entriesPerSave: number;
  readonly saveMs: number;
  readonly writesPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU µs all peers spent per acknowledged write (NaN unless measured). */
  readonly peerCpuUsPerWrite: number;
}

/** What one load generator reports for a level. */
type Load = Pick<Level, 'p50' | 'p99' | 'errors' | 'peerCpuUsPerWrite'> & { readonly writes: number };

async function drive(c: RunningCluster, urls: readonly URL[], clients: number): Promise<Level> {
  const before = await storageCounters(c.leader);
  const framesBefore = await relayedFrames(c.signaling);
  const load = await (H2LOAD ? h2loadLevel : nodeLevel)(c, urls, clients);
  const after = await storageCounters(c.leader);
  const saves = after.saves - before.saves;
  const frames = (await relayedFrames(c.signaling)) - framesBefore;
  return {
    framesPerWrite: WEBRTC ? NaN : frames / Math.max(1, load.writes),
    entriesPerSave: (after.applied - before.applied) / saves,
    saveMs: ((after.saveSeconds - before.saveSeconds) / saves) * 1000,
    writesPerSec: load.writes / SECONDS,
    p50: load.p50,
    p99: load.p99,
    errors: load.errors,
    peerCpuUsPerWrite: load.peerCpuUsPerWrite,
  };
}

/** `clients` closed loops in this process, spread over `urls`. */
async function nodeLevel(_c: RunningCluster, urls: readonly URL[], clients: number): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const puts = new Map(urls.map((u) => [u.href, putter(u)]));
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const put = puts.get(urls[c % urls.length]!.href)!;
      while (performance.now() < end) {
        const key = `key-${(n++ * 7919) % 10_000}`;
        const t0 = performance.now();
        if (await put(key)) lat.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  return { writes: lat.length, p50: lat.length ? percentile(lat, 50) : NaN, p99: lat.length ? percentile(lat, 99) : NaN, errors, peerCpuUsPerWrite: NaN };
}

/** h2load processes, connections split over `urls`; p50 is h2load's mean, p99 unknown. */
async function h2loadLevel(c: RunningCluster, urls: readonly URL[], clients: number): Promise<Load> {
  const cpu0 = c.memberPids.map(cpuSeconds);
  const per = urls.map((_, i) => Math.floor(clients / urls.length) + (i < clients % urls.length ? 1 : 0)).filter((n) => n > 0);
  const loads = await Promise.all(per.map((n, i) => putLoad(urls[i]!, n, SECONDS)));
  const cpu = c.memberPids.reduce((s, pid, i) => s + cpuSeconds(pid) - cpu0[i]!, 0);
  const writes = loads.reduce((s, l) => s + l.writesPerSec, 0) * SECONDS;
  return {
    writes,
    p50: loads.reduce((s, l) => s + l.meanMs, 0) / loads.length,
    p99: NaN,
    errors: loads.reduce((s, l) => s + l.errors, 0),
    // h2load's 1 s warm-up is charged to the peers too; it runs at about the measured rate.
    peerCpuUsPerWrite: (cpu / Math.max(1, (writes / SECONDS) * (SECONDS + 1))) * 1e6,
  };
}

const peerHttp: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const results = new Map<string, Level[]>();
    for (let r = 0; r < RUNS; r++) {
      const c = await startMeshraftCluster({ relayOnly: !WEBRTC, cpuProfDir: CPU_PROF });
      try {
        await drive(c, [c.leader], 16); // warm-up: JIT, connections, log
        for (const target of TARGETS) {
          for (const clients of LEVELS) {
            const level = await drive(c, target === 'leader' ? [c.leader] : c.all, clients);
            const key = `${target}/${clients}`;
            results.set(key, [...(results.get(key) ?? []), level]);
          }
        }
      } finally {
        await c.stop();
      }
    }
    for (const [key, levels] of results) {
      const [target, clients] = key.split('/');
      const extra = { transport: WEBRTC ? 'webrtc' : 'relay', protocol: PROTOCOL, load: H2LOAD ? 'h2load' : 'node', target, clients: Number(clients), runs: levels.length, seconds: SECONDS, errors: levels.reduce((s, l) => s + l.errors, 0) };
      yield { metric: 'writes_per_sec', value: Math.round(median(levels.map((l) => l.writesPerSec))), unit: 'writes/s', ...extra };
      yield { metric: H2LOAD ? 'put_mean' : 'put_p50', value: +median(levels.map((l) => l.p50)).toFixed(2), unit: 'ms', ...extra };
      if (!H2LOAD) yield { metric: 'put_p99', value: +median(levels.map((l) => l.p99)).toFixed(2), unit: 'ms', ...extra };
      yield { metric: 'leader_entries_per_save', value: +median(levels.map((l) => l.entriesPerSave)).toFixed(1), unit: 'entries', ...extra };
      if (!WEBRTC) yield { metric: 'relay_frames_per_write', value: +median(levels.map((l) => l.framesPerWrite)).toFixed(2), unit: 'frames', ...extra };
      if (H2LOAD) yield { metric: 'peer_cpu_us_per_write', value: Math.round(median(levels.map((l) => l.peerCpuUsPerWrite))), unit: 'us', ...extra };
      yield { metric: 'leader_save_mean', value: +median(levels.map((l) => l.saveMs)).toFixed(2), unit: 'ms', ...extra };
    }
    agent.destroy();
  },
};

export default peerHttp;
