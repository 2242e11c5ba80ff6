/**
 * Relay transport through a real signaling server on loopback (same process, 2-core machine):
 * - round-trip latency of 100-byte frames (ping-pong, one in flight), p50/p99;
 * - one-way throughput (frames/s, MB/s) with backpressure: the sender waits whenever send()
 *   refuses or the socket buffer is above 1 MiB.
 * Each figure is the median of RUNS runs, without and with a room secret (AES-GCM end to end).
 */
import { createSignalingServer, type SignalingServer } from '@meshraft/signaling-server';
import { createRelayTransport, type RelayTransport } from '@meshraft/transport/relay';
import { median, percentile, type BenchCase, type BenchResult } from '../bench-case.js';

const RUNS = 5;
const RTT_SAMPLES = 1000;
const HIGH_WATER = 1024 * 1024;
let roomN = 0;

async function pair(server: SignalingServer, secret: string | undefined): Promise<[RelayTransport, RelayTransport]> {
  const room = `bench-${++roomN}`;
  const make = (peer: string) => createRelayTransport({
    signaling: { urls: server.url, room, peer, ...(secret !== undefined ? { secret } : {}) },
    pingIntervalMs: 60_000,
  });
  const a = make('a');
  const b = make('b');
  await Promise.all([a.signaling.whenJoined(), b.signaling.whenJoined()]);
  while (!a.links().some((l) => l.peer === 'b') || !b.links().some((l) => l.peer === 'a')) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return [a, b];
}

async function rtt(server: SignalingServer, secret: string | undefined): Promise<{ p50: number; p99: number }> {
  const [a, b] = await pair(server, secret);
  b.on('frame', (from, frame) => b.send(from, frame));
  const frame = new Uint8Array(100);
  const samples: number[] = [];
  let resolveEcho: () => void = () => {};
  a.on('frame', () => resolveEcho());
  for (let i = 0; i < RTT_SAMPLES + 50; i++) {
    const echoed = new Promise<void>((r) => (resolveEcho = r));
    const t0 = performance.now();
    a.send('b', frame);
    await echoed;
    if (i >= 50) samples.push(performance.now() - t0); // first 50 are warm-up
  }
  await Promise.all([a.close(), b.close()]);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** One-way rate in frames/s; `lost` counts frames the server dropped (TARGET_CONGESTED). */
async function throughput(
  server: SignalingServer, secret: string | undefined, size: number, count: number,
): Promise<{ fps: number; lost: number }> {
  const [a, b] = await pair(server, secret);
  let received = 0;
  let lastAt = performance.now();
  b.on('frame', () => {
    received++;
    lastAt = performance.now();
  });
  const droppedBefore = server.stats().droppedFrames;
  const frame = new Uint8Array(size).fill(7);
  const t0 = performance.now();
  for (let sent = 0; sent < count;) {
    // bufferedAmount() counts bytes being sealed and queued as well as the socket buffer.
    if (a.signaling.bufferedAmount() < HIGH_WATER && a.send('b', frame)) {
      sent++;
      continue;
    }
    await new Promise((r) => setImmediate(r)); // let the socket drain
  }
  lastAt = performance.now();
  // Wait for the rest; give up after 3 s without progress (frames were dropped, not delayed).
  while (received < count && performance.now() - lastAt < 3000) await new Promise((r) => setTimeout(r, 1));
  const seconds = (lastAt - t0) / 1000;
  await Promise.all([a.close(), b.close()]);
  return { fps: received / seconds, lost: server.stats().droppedFrames - droppedBefore };
}

const relay: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    const server = await createSignalingServer({ limits: { messagesPerSecond: 1_000_000 } });
    try {
      for (const secret of [undefined, 'bench-secret']) {
        const e2e = secret !== undefined;
        const p50s: number[] = [];
        const p99s: number[] = [];
        for (let r = 0; r < RUNS; r++) {
          const { p50, p99 } = await rtt(server, secret);
          p50s.push(p50);
          p99s.push(p99);
        }
        yield { metric: 'rtt_p50_100B', value: round(median(p50s)), unit: 'ms', e2e, runs: p50s.map(round) };
        yield { metric: 'rtt_p99_100B', value: round(median(p99s)), unit: 'ms', e2e, runs: p99s.map(round) };
        for (const [size, count] of [[100, 20_000], [16 * 1024, 4_000]] as const) {
          const rates: number[] = [];
          let lost = 0;
          for (let r = 0; r < RUNS; r++) {
            const run = await throughput(server, secret, size, count);
            rates.push(run.fps);
            lost += run.lost;
          }
          const fps = median(rates);
          yield { metric: `frames_per_s_${size}B`, value: Math.round(fps), unit: 'frames/s', e2e, runs: rates.map(Math.round), lost };
          yield { metric: `mb_per_s_${size}B`, value: round((fps * size) / 1e6), unit: 'MB/s', e2e };
        }
      }
    } finally {
      await server.close(500);
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export default relay;
