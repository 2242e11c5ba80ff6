/**
 * Test harness for the WebRTC transport: a real signaling server, signaling clients and
 * transports with @roamhq/wrtc, all cleaned up after each test. Run under /work/shared/netns-run.
 */
import wrtc from '@roamhq/wrtc';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '@meshraft/signaling-server';
import { createSignalingClient, type SignalingClient } from '../../signaling/signaling-client.js';
import type { LinkState, Transport } from '../../transport.js';
import { seededRandom, until } from '../../testing/wait.js';
import { createWebRtcTransport, type WebRtcTransportOptions } from '../webrtc-transport.js';

export { wrtc };

export class Harness {
  private readonly cleanups: (() => Promise<void>)[] = [];

  async server(options: SignalingServerOptions = {}): Promise<SignalingServer> {
    const s = await createSignalingServer({ host: '127.0.0.1', port: 0, ...options });
    this.cleanups.push(() => s.close(50));
    return s;
  }

  client(url: string, peer: string, room = 'room'): SignalingClient {
    const c = createSignalingClient({ urls: url, room, peer, random: seededRandom(peer.length), backoff: { initialMs: 20, maxMs: 200 } });
    this.cleanups.push(() => c.close());
    return c;
  }

  transport(url: string, peer: string, options: Partial<WebRtcTransportOptions> = {}): Transport {
    const t = createWebRtcTransport({
      signaling: this.client(url, peer),
      wrtc,
      random: seededRandom(7),
      reconnect: { initialMs: 20, maxMs: 500 },
      wake: false,
      ...options,
    });
    this.cleanups.push(() => t.close());
    return t;
  }

  add(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  async cleanup(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) await c();
  }
}

export function stateOf(t: Transport, peer: string): LinkState | undefined {
  return t.links().find((l) => l.peer === peer)?.state;
}

export function untilState(t: Transport, peer: string, state: LinkState, timeoutMs = 20_000): Promise<void> {
  return until(() => stateOf(t, peer) === state, `${t.self} -> ${peer} to be ${state} (is ${stateOf(t, peer)})`, timeoutMs);
}

/** Collects frames a transport receives, by sender. */
export function collect(t: Transport): Map<string, Uint8Array[]> {
  const got = new Map<string, Uint8Array[]>();
  t.on('frame', (from, frame) => {
    const list = got.get(from) ?? [];
    list.push(frame);
    got.set(from, list);
  });
  return got;
}

type PcCtor = new (config?: RTCConfiguration) => RTCPeerConnection;

/**
 * @roamhq/wrtc with hooks: `gate` holds every setRemoteDescription until opened (so no channel
 * can open), and `channels` records each data channel this side created or received.
 */
export function instrumentedWrtc(): {
  wrtc: typeof wrtc;
  channels: RTCDataChannel[];
  closeGate(): void;
  openGate(): void;
} {
  let release: (() => void) | null = null;
  let gate: Promise<void> = Promise.resolve();
  const channels: RTCDataChannel[] = [];
  const Base = wrtc.RTCPeerConnection as unknown as PcCtor;
  class Instrumented extends Base {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('datachannel', (ev) => channels.push((ev as RTCDataChannelEvent).channel));
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const ch = super.createDataChannel(label, init);
      channels.push(ch);
      return ch;
    }
    override async setRemoteDescription(desc: RTCSessionDescriptionInit): Promise<void> {
      await gate;
      return super.setRemoteDescription(desc);
    }
  }
  return {
    wrtc: { ...wrtc, RTCPeerConnection: Instrumented as unknown as typeof wrtc.RTCPeerConnection },
    channels,
    closeGate() {
      gate = new Promise((r) => (release = r));
    },
    openGate() {
      release?.();
      gate = Promise.resolve();
    },
  };
}
