/**
 * `pnpm bench etcd-compare`: a three-member etcd (the `etcd` binary, Debian's etcd-server) and
 * three `meshraft peer` processes (their defaults: file storage with fsync, WebRTC) side by side
 * on loopback, in one run, with the same closed-loop client: 100-byte PUTs to each cluster's
 * leader through the etcd JSON gateway at 1, 16, 64 and 256 connections. The client is h2load
 * (Debian's nghttp2-client) when installed, so it is not what limits either server on a 2-core
 * machine; otherwise a Node client whose CPU use is reported. Each level alternates etcd and
 * meshraft, run after run, and reports medians, their ratio, and the CPU each leader spent per
 * committed write.
 * Env: ETCD_COMPARE_SECONDS (per level, default 5), ETCD_COMPARE_RUNS (default 3),
 * ETCD_COMPARE_CLIENTS (default 1,16,64,256), ETCD_COMPARE_RELAY=1 (meshraft over the relay,
 * not the default), ETCD_COMPARE_API=grpc (unary KV.Put calls over HTTP/2 from h2load, one stream
 * at a time per connection, instead of the JSON gateway; writes counted by the revision). WebRTC needs a non-loopback interface: run it as `scripts/netns-run pnpm bench etcd-compare`.
 */
import { median, requireNetworkInterface, type BenchCase, type BenchResult } from '../bench-case.js';
import { cpuSeconds } from '../procs/child.js';
import { etcdVersion, startEtcdCluster } from '../procs/etcd-cluster.js';
import { agent } from '../procs/http.js';
import { putLoad, type LoadApi, type LoadResult } from '../procs/load.js';
import { startMeshraftCluster, type RunningCluster } from '../procs/meshraft-cluster.js';

const SECONDS = Number(process.env.ETCD_COMPARE_SECONDS ?? 5);
const RUNS = Number(process.env.ETCD_COMPARE_RUNS ?? 3);
const LEVELS = (process.env.ETCD_COMPARE_CLIENTS ?? '1,16,64,256').split(',').map(Number);
const RELAY = process.env.ETCD_COMPARE_RELAY === '1';
const API: LoadApi = process.env.ETCD_COMPARE_API === 'grpc' ? 'grpc' : 'json';
if (process.env.ETCD_COMPARE_API !== undefined && !['json', 'grpc'].includes(process.env.ETCD_COMPARE_API)) {
  throw new Error(`ETCD_COMPARE_API must be json or grpc, not ${process.env.ETCD_COMPARE_API}`);
}

type System = 'etcd' | 'meshraft';

interface Sample extends LoadResult {
  /** Leader CPU seconds per committed write, in microseconds. */
  readonly leaderCpuUsPerWrite: number;
}

async function measure(c: RunningCluster, clients: number): Promise<Sample> {
  const cpu0 = cpuSeconds(c.leaderPid);
  const r = await putLoad(c.leader, clients, SECONDS, API);
  const cpu = cpuSeconds(c.leaderPid) - cpu0;
  // h2load's JSON warm-up second is not counted in its figures but did cost the leader CPU.
  const seconds = r.client === 'h2load' && API === 'json' ? SECONDS + 1 : SECONDS;
  return { ...r, leaderCpuUsPerWrite: r.writesPerSec > 0 ? (cpu / (r.writesPerSec * seconds)) * 1e6 : NaN };
}

const etcdCompare: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const version = etcdVersion();
    if (version === undefined) {
      throw new Error('bench etcd-compare needs the etcd binary: apt-get install etcd-server (and nghttp2-client for h2load)');
    }
    if (!RELAY) requireNetworkInterface('etcd-compare');
    const etcd = await startEtcdCluster();
    const mesh = await startMeshraftCluster({ relayOnly: RELAY }).catch(async (err: unknown) => {
      await etcd.stop();
      throw err;
    });
    const samples = new Map<string, Sample[]>();
    try {
      for (const c of [etcd, mesh]) await putLoad(c.leader, 16, 2, API); // warm-up: JIT, connections, logs
      for (let run = 0; run < RUNS; run++) {
        for (const clients of LEVELS) {
          // Alternate which goes first, so neither always meets a machine the other just warmed.
          const order: [System, RunningCluster][] = run % 2 === 0 ? [['etcd', etcd], ['meshraft', mesh]] : [['meshraft', mesh], ['etcd', etcd]];
          for (const [name, c] of order) {
            const key = `${name}/${clients}`;
            samples.set(key, [...(samples.get(key) ?? []), await measure(c, clients)]);
          }
        }
      }
    } finally {
      await Promise.all([etcd.stop(), mesh.stop()]);
      agent.destroy();
    }
    for (const clients of LEVELS) {
      const e = samples.get(`etcd/${clients}`)!;
      const m = samples.get(`meshraft/${clients}`)!;
      const med = (s: Sample[], f: (x: Sample) => number) => median(s.map(f));
      const extra = {
        clients,
        runs: RUNS,
        seconds: SECONDS,
        client: e[0]!.client,
        etcd_version: version,
        meshraft_transport: RELAY ? 'relay' : 'webrtc',
        api: API,
        errors: [...e, ...m].reduce((s, x) => s + x.errors, 0),
      };
      const ew = med(e, (x) => x.writesPerSec);
      const mw = med(m, (x) => x.writesPerSec);
      yield { metric: 'writes_per_sec', value: Math.round(mw), unit: 'writes/s', etcd: Math.round(ew), ratio: +(mw / ew).toFixed(2), ...extra };
      yield { metric: 'put_mean', value: +med(m, (x) => x.meanMs).toFixed(2), unit: 'ms', etcd: +med(e, (x) => x.meanMs).toFixed(2), ...extra };
      yield {
        metric: 'leader_cpu_per_write',
        value: Math.round(med(m, (x) => x.leaderCpuUsPerWrite)),
        unit: 'us',
        etcd: Math.round(med(e, (x) => x.leaderCpuUsPerWrite)),
        ...extra,
      };
      if (e[0]!.client === 'node') {
        yield { metric: 'client_cpu', value: +med([...e, ...m], (x) => x.clientCpu).toFixed(2), unit: 'cores', ...extra };
      }
    }
  },
};

export default etcdCompare;
