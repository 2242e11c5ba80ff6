/**
 * Child-process end of RemoteTransport: runs one WebRTC transport (wrtc) in its own Node process
 * and mirrors it over IPC. Started by remote-transport.ts with tsx; argv: signaling URL, peer id,
 * JSON of extra transport options.
 */
import wrtc from '@roamhq/wrtc';
import type { Transport } from '../../transport.js';
import { createWebRtcTransport } from '../webrtc-transport.js';
import type { FromChild, ToChild } from './remote-protocol.js';

const [url, peer, extra] = process.argv.slice(2);
if (!url || !peer) throw new Error('usage: remote-peer URL PEER [OPTIONS_JSON]');
const options = JSON.parse(extra ?? '{}') as Record<string, unknown>;

const post = (msg: FromChild): void => {
  process.send?.(msg);
};

const transport: Transport = createWebRtcTransport({
  signaling: { urls: url, room: 'room', peer, backoff: { initialMs: 20, maxMs: 200 } },
  wrtc,
  reconnect: { initialMs: 20, maxMs: 500 },
  wake: false,
  ...options,
});
const snapshot = (): FromChild => ({ t: 'links', links: transport.links() });
transport.on('peer-up', (p) => post({ t: 'peer-up', peer: p }));
transport.on('peer-down', (p) => post({ t: 'peer-down', peer: p }));
transport.on('link', (info) => post({ t: 'link', info }));
transport.on('frame', (from, frame) => post({ t: 'frame', from, frame }));
transport.on('error', (err) => post({ t: 'error', message: err.message }));
// RTT changes without events: refresh the mirror now and then.
const timer = setInterval(() => post(snapshot()), 200);

process.on('message', (msg: ToChild) => {
  switch (msg.t) {
    case 'send':
      if (!transport.send(msg.to, msg.frame)) post({ t: 'refused', to: msg.to, bytes: msg.frame.byteLength });
      return;
    case 'close':
      clearInterval(timer);
      void transport.close().then(() => {
        post({ t: 'closed' });
        process.disconnect();
      });
      return;
  }
});
process.on('disconnect', () => process.exit(0));
post({ t: 'ready' });
