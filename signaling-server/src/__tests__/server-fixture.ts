/** Servers and joined raw clients for one test file, closed after each test. */
import { afterEach } from 'vitest';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../signaling-server.js';
import { rawClient, type RawClient } from './raw-client.js';

export const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export async function start(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const s = await createSignalingServer(opts);
  cleanups.push(() => s.close(100));
  return s;
}

/** A raw client that joined (or was refused: the answer is its first message). */
export async function joined(url: string, room: string, peer: string, extra: object = {}): Promise<RawClient> {
  const c = await rawClient(url);
  cleanups.push(() => c.close());
  c.send({ type: 'join', room, peer, ...extra });
  await c.waitFor((m) => m.type === 'joined' || m.type === 'error', `join of ${peer}`);
  return c;
}
