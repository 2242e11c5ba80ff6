/**
 * `pnpm bench runtime-webrtc` — must run inside the network namespace:
 *
 *     scripts/netns-run pnpm bench runtime-webrtc
 *
 * The node runtime over real WebRTC data channels: three nodes in this Node process, each with
 * its own WebRTC transport (@roamhq/wrtc) and memory storage, a signaling server in process,
 * the KV-free counter state machine, default timing (100 ms ticks). Per run:
 * - formation: the founder starts alone, two nodes join; time until the founder sees 3 voters
 *   (join request → addLearner → catch-up → two promotions, each a committed conf change);
 * - propose latency at the leader and from a follower (sequential, 200 each), p50 / p99.
 * Each figure is the median of RUNS runs. All three nodes share one event loop.
 */
import { createRequire } from 'node:module';
import { createSignalingServer } from '@meshraft/signaling-server';
import { createWebRtcTransport, type WrtcLike } from '@meshraft/transport/webrtc';
import { median, percentile, requireNetworkInterface, timeEach, type BenchCase, type BenchResult } from '../bench-case.js';
// The bench package depends on neither `meshraft` nor @meshraft/storage; reach their sources directly.
import { createMemoryStorage } from '@meshraft/storage';
import { createCounterStateMachine } from 'meshraft/kv';
import { createNode, type MeshraftNode } from 'meshraft';

const RUNS = 3;
const SEQ = 200;
const repo = new URL('../../../../', import.meta.url);
const wrtc = createRequire(new URL('packages/transport/package.json', repo))('@roamhq/wrtc') as WrtcLike;
type Node = MeshraftNode<{ type: 'add'; delta: number }, unknown, { type: 'get' }, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`bench runtime-webrtc: timed out waiting for ${what}`);
    await sleep(5);
  }
}

const bench: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    requireNetworkInterface('runtime-webrtc');
    const m: Record<string, number[]> = {};
    const add = (k: string, v: number): void => void (m[k] ??= []).push(v);
    for (let run = 0; run < RUNS; run++) {
      const server = await createSignalingServer({ host: '127.0.0.1', port: 0 });
      const room = `runtime-${run}`;
      const nodes: Node[] = [];
      const start = (id: string, bootstrap: boolean): Promise<Node> =>
        createNode({
          cluster: room,
          id,
          storage: createMemoryStorage(),
          transport: (self) => createWebRtcTransport({ signaling: { urls: server.url, room, peer: self }, wrtc }),
          stateMachine: createCounterStateMachine(),
          bootstrap,
        }) as unknown as Promise<Node>;
      try {
        const t0 = performance.now();
        nodes.push(await start('a', true));
        await waitFor(() => nodes[0]!.status().role === 'leader', 'the founder to lead');
        nodes.push(await start('b', false), await start('c', false));
        const voters = (): number => nodes[0]!.status().members.filter((x) => x.role === 'voter').length;
        await waitFor(() => voters() === 3 && !nodes[0]!.status().joint, 'three voters, joint change left');
        add('formation_3_voters', performance.now() - t0);
        const leader = nodes.find((n) => n.status().role === 'leader')!;
        const follower = nodes.find((n) => n !== leader)!;
        const cmd = { type: 'add', delta: 1 } as const;
        await timeEach(20, () => leader.propose(cmd)); // warm-up
        const lat = await timeEach(SEQ, () => leader.propose(cmd));
        add('propose_leader_p50', median(lat));
        add('propose_leader_p99', percentile(lat, 99));
        const flat = await timeEach(SEQ, () => follower.propose(cmd));
        add('propose_follower_p50', median(flat));
        add('propose_follower_p99', percentile(flat, 99));
        add('read_linearizable_follower_p50', median(await timeEach(SEQ, () => follower.read({ type: 'get' }))));
      } finally {
        await Promise.all(nodes.map((n) => n.stop()));
        await server.close(50);
      }
    }
    for (const [metric, values] of Object.entries(m)) {
      yield { metric, value: Math.round(median(values) * 100) / 100, unit: 'ms', runs: RUNS };
    }
  },
};

export default bench;
