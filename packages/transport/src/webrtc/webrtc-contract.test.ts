/**
 * The transport contract suite against the WebRTC transport: peer `a` in this process, every
 * other peer in a child Node process, a real signaling server; links must be real data channels.
 * Then the same suite over the relay path (forceRelay, and no WebRTC implementation at all).
 * Run under /work/shared/netns-run (ICE needs a non-loopback interface).
 */
import { createSignalingServer } from '@meshraft/signaling-server';
import { describeTransportContract, type ContractNetwork } from '../testing/contract.js';
import { seededRandom } from '../testing/wait.js';
import type { Transport } from '../transport.js';
import { spawnRemoteTransport } from './__tests__/remote-transport.js';
import { wrtc } from './__tests__/harness.js';
import { createWebRtcTransport, type WebRtcTransportOptions } from './webrtc-transport.js';

const MAX_FRAME = 1024 * 1024;

function network(remote: boolean, extra: Partial<WebRtcTransportOptions>): () => Promise<ContractNetwork> {
  return async () => {
    const server = await createSignalingServer({ host: '127.0.0.1', port: 0, limits: { maxFrameBytes: 2 * MAX_FRAME } });
    const transports: Transport[] = [];
    const kills: (() => void)[] = [];
    return {
      async add(peer) {
        const options = { maxFrameBytes: MAX_FRAME, relayFallbackMs: 2000, ...extra };
        if (remote && peer !== 'a') {
          const t = await spawnRemoteTransport(server.url, peer, options);
          kills.push(() => t.kill());
          transports.push(t);
          return t;
        }
        const t = createWebRtcTransport({
          signaling: { urls: server.url, room: 'room', peer, random: seededRandom(peer.charCodeAt(0)), backoff: { initialMs: 20, maxMs: 200 } },
          wrtc,
          random: seededRandom(3),
          reconnect: { initialMs: 20, maxMs: 500 },
          wake: false,
          ...options,
        });
        transports.push(t);
        return t;
      },
      async teardown() {
        await Promise.all(transports.map((t) => t.close()));
        for (const kill of kills) kill();
        await server.close(50);
      },
    };
  };
}

describeTransportContract('webrtc between Node processes', network(true, {}), {
  maxFrameBytes: MAX_FRAME,
  upStates: ['webrtc'],
  timeoutMs: 20_000,
});

describeTransportContract('webrtc with forceRelay', network(false, { forceRelay: true }), {
  maxFrameBytes: MAX_FRAME,
  upStates: ['relay'],
});

describeTransportContract('webrtc with no WebRTC implementation', network(false, { wrtc: {} as never }), {
  maxFrameBytes: MAX_FRAME,
  upStates: ['relay'],
});
