/**
 * `pnpm bench etcd-gateway`: the etcd JSON gateway on a loopback node:http server over the
 * in-process LocalKvClient (no Raft), driven by fetch with keep-alive. Median of 5 runs:
 * - sequential put latency p50/p99 (500 requests per run);
 * - throughput of 8 concurrent clients doing puts (2000 requests per run);
 * - sequential linearizable range latency p50.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { median, percentile, type BenchCase, type BenchResult } from '../bench-case.js';
// The bench package does not depend on `meshraft`; reach its sources directly.
import { createEtcdGateway, createLocalKvClient } from '@meshraft/etcd';

const RUNS = 5;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const gatewayBench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const putP50: number[] = [];
    const putP99: number[] = [];
    const rangeP50: number[] = [];
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const server = createServer(createEtcdGateway(createLocalKvClient()));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const post = async (path: string, body: unknown) => {
        const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body) });
        if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
        await res.arrayBuffer();
      };
      try {
        // Warm up connections and JIT.
        for (let i = 0; i < 100; i++) await post('/v3/kv/put', { key: b64(`w${i}`), value: b64('x') });
        const lat: number[] = [];
        for (let i = 0; i < 500; i++) lat.push(await timed(() => post('/v3/kv/put', { key: b64(`k${i % 50}`), value: b64(`v${i}`) })));
        putP50.push(percentile(lat, 50));
        putP99.push(percentile(lat, 99));
        const rl: number[] = [];
        for (let i = 0; i < 500; i++) rl.push(await timed(() => post('/v3/kv/range', { key: b64(`k${i % 50}`) })));
        rangeP50.push(percentile(rl, 50));
        const total = 2000;
        let next = 0;
        const ms = await timed(() =>
          Promise.all(
            Array.from({ length: 8 }, async () => {
              while (next < total) {
                const i = next++;
                await post('/v3/kv/put', { key: b64(`c${i % 100}`), value: b64(`v${i}`) });
              }
            }),
          ),
        );
        rates.push(total / (ms / 1000));
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
    yield { metric: 'put_latency_p50', value: +median(putP50).toFixed(3), unit: 'ms' };
    yield { metric: 'put_latency_p99', value: +median(putP99).toFixed(3), unit: 'ms' };
    yield { metric: 'range_latency_p50', value: +median(rangeP50).toFixed(3), unit: 'ms' };
    yield { metric: 'put_throughput_8_clients', value: Math.round(median(rates)), unit: 'req/s' };
  },
};

export default gatewayBench;
