/**
 * @module port-transport
 * The worker side of the transport bridge: a `Transport` whose frames and events come over a
 * MessagePort from the page's real transport (`exposeTransport`). send() is synchronous as the
 * contract asks; it answers from a mirror of the page's peers.
 */
import type { LinkInfo, PeerId, Transport, TransportEvents } from '@meshraft/transport';
import { BridgeClosedError, BridgeInputError } from './errors.js';
import { detachableCopy, listen, type BridgePort } from './port.js';
import { isTransportMessage, TRANSPORT_TAG, type PageToWorker, type WorkerToPage } from './transport-protocol.js';

export interface PortTransportOptions {
  /** How long to wait for the page's hello (default 10 s). */
  readonly timeoutMs?: number;
  /** Close the port when the transport closes (default true). */
  readonly closePort?: boolean;
}

type Listeners = { [E in keyof TransportEvents]: Set<TransportEvents[E]> };

/**
 * Resolves with a Transport once the page's `exposeTransport` said hello (its `self` is the
 * page transport's id). Rejects with `BRIDGE_CLOSED` after `timeoutMs` without one.
 */
export function connectPortTransport(port: BridgePort, options: PortTransportOptions = {}): Promise<Transport> {
  if (typeof port?.postMessage !== 'function' || typeof port.addEventListener !== 'function') {
    return Promise.reject(new BridgeInputError('connectPortTransport needs a MessagePort'));
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<Transport>((resolve, reject) => {
    let transport: PortTransport | undefined;
    const timer = setTimeout(() => {
      stop();
      reject(new BridgeClosedError(`no transport hello on the port within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = listen(port, (data) => {
      if (!isTransportMessage(data)) return;
      const msg = data as PageToWorker;
      if (transport) {
        transport.receive(msg);
      } else if (msg.t === 'hello') {
        clearTimeout(timer);
        transport = new PortTransport(port, msg.self, msg.up, msg.links, stop, options.closePort ?? true);
        resolve(transport);
      }
    });
  });
}

class PortTransport implements Transport {
  private readonly up: Set<PeerId>;
  private linkTable: LinkInfo[];
  private readonly listeners: Listeners = {
    frame: new Set(),
    'peer-up': new Set(),
    'peer-down': new Set(),
    link: new Set(),
    error: new Set(),
  };
  private closing: Promise<void> | undefined;
  private markClosed = (): void => {};

  constructor(
    private readonly port: BridgePort,
    readonly self: PeerId,
    up: readonly PeerId[],
    links: LinkInfo[],
    private readonly stopListening: () => void,
    private readonly closePort: boolean,
  ) {
    this.up = new Set(up);
    this.linkTable = links;
  }

  send(to: PeerId, frame: Uint8Array): boolean {
    if (this.closing || to === this.self || !this.up.has(to)) return false;
    const buf = detachableCopy(frame);
    this.post({ tag: TRANSPORT_TAG, t: 'send', to, buf }, [buf]);
    return true;
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    const set = this.listeners[event] as Set<TransportEvents[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  links(): LinkInfo[] {
    return this.linkTable.map((l) => ({ ...l }));
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => (this.markClosed = resolve));
      const finish = setTimeout(() => this.finishClose(), 2_000); // a page that went away does not answer
      const done = this.markClosed;
      this.markClosed = () => {
        clearTimeout(finish);
        done();
      };
      this.post({ tag: TRANSPORT_TAG, t: 'close' });
    }
    return this.closing;
  }

  /** One message from the page. */
  receive(msg: PageToWorker): void {
    switch (msg.t) {
      case 'frame':
        if (!this.closing && msg.buf instanceof ArrayBuffer) this.emit('frame', msg.from, new Uint8Array(msg.buf));
        return;
      case 'peer-up':
        this.linkTable = msg.links;
        this.up.add(msg.peer);
        this.emit('peer-up', msg.peer);
        return;
      case 'peer-down':
        this.linkTable = msg.links;
        this.up.delete(msg.peer);
        this.emit('peer-down', msg.peer);
        return;
      case 'link':
        this.linkTable = msg.links;
        this.emit('link', msg.info);
        return;
      case 'error':
        this.emit('error', new BridgeClosedError(`page transport: ${msg.message}`));
        return;
      case 'closed':
        this.finishClose();
        return;
      case 'hello':
        return; // a second hello (page re-exposed): the first one's identity stays
    }
  }

  private finishClose(): void {
    this.stopListening();
    this.up.clear();
    if (this.closePort) this.port.close();
    this.markClosed();
  }

  private post(msg: WorkerToPage, transfer?: Transferable[]): void {
    this.port.postMessage(msg, transfer);
  }

  private emit<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (...a: Parameters<TransportEvents[E]>) => void)(...args);
      } catch {
        // A throwing listener must not break delivery to the others (as in the other transports).
      }
    }
  }
}
