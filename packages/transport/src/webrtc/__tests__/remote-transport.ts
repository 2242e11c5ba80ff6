/**
 * A Transport whose real implementation runs in a child Node process (remote-peer.ts), so the
 * contract suite exercises WebRTC between two processes. `send` answers from the mirrored link
 * table; a send the child refuses afterwards is reported on `error` (the suite then fails on the
 * missing frame).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Emitter } from '../../emitter.js';
import type { LinkInfo, Transport, TransportEvents } from '../../transport.js';
import type { FromChild, ToChild } from './remote-protocol.js';

const childEntry = fileURLToPath(new URL('./remote-peer.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

export type RemoteTransportHandle = Transport & {
  /** Kills the child at once (SIGKILL: no goodbye on any socket). */
  kill(): void;
  /** Sends a POSIX signal to the child (SIGSTOP / SIGCONT freeze and thaw it). */
  signal(sig: NodeJS.Signals): void;
};

export async function spawnRemoteTransport(url: string, peer: string, options: Record<string, unknown> = {}): Promise<RemoteTransportHandle> {
  const child = fork(childEntry, [url, peer, JSON.stringify(options)], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx', '--conditions=source'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const remote = new RemoteTransport(peer, child);
  await remote.ready;
  return remote;
}

class RemoteTransport implements Transport {
  readonly ready: Promise<void>;
  readonly #events = new Emitter<TransportEvents>();
  #links = new Map<string, LinkInfo>();
  #closed = false;
  #onClosed: (() => void) | null = null;

  constructor(readonly self: string, private readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`remote peer ${self} exited with ${code}`)));
      child.on('message', (raw) => {
        const msg = raw as FromChild;
        if (msg.t === 'ready') resolve();
        this.#onMessage(msg);
      });
    });
    child.once('exit', () => this.#onClosed?.());
  }

  send(to: string, frame: Uint8Array): boolean {
    if (this.#closed || !this.#links.has(to)) return false;
    this.#post({ t: 'send', to, frame });
    return true;
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    return this.#events.on(event, listener);
  }

  links(): LinkInfo[] {
    return [...this.#links.values()];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#links.clear();
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.#onClosed = resolve;
      this.#post({ t: 'close' });
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(sig);
  }

  #post(msg: ToChild): void {
    if (this.child.connected) this.child.send(msg);
  }

  #onMessage(msg: FromChild): void {
    if (this.#closed) return;
    switch (msg.t) {
      case 'peer-up':
        if (!this.#links.has(msg.peer)) this.#links.set(msg.peer, { peer: msg.peer, state: 'connecting', rttMs: null });
        this.#events.emit('peer-up', msg.peer);
        return;
      case 'peer-down':
        this.#links.delete(msg.peer);
        this.#events.emit('peer-down', msg.peer);
        return;
      case 'link':
        if (msg.info.state === 'down') this.#links.delete(msg.info.peer);
        else this.#links.set(msg.info.peer, msg.info);
        this.#events.emit('link', msg.info);
        return;
      case 'links':
        this.#links = new Map(msg.links.map((l) => [l.peer, l]));
        return;
      case 'frame':
        this.#events.emit('frame', msg.from, msg.frame);
        return;
      case 'error':
        this.#events.emit('error', new Error(`${this.self}: ${msg.message}`));
        return;
      case 'refused':
        this.#events.emit('error', new Error(`${this.self} refused a ${msg.bytes}-byte frame to ${msg.to}`));
        return;
      case 'ready':
      case 'closed':
        return;
    }
  }
}
