/**
 * @module expose-transport
 * The page side of the transport bridge: the page owns the real transport (WebRTC needs the
 * main thread in most browsers) and relays it over a MessagePort to a node in a worker.
 */
import type { Transport } from '@meshraft/transport';
import { BridgeInputError } from './errors.js';
import { detachableCopy, listen, type BridgePort } from './port.js';
import { isTransportMessage, TRANSPORT_TAG, type PageToWorker } from './transport-protocol.js';

export interface ExposeTransportOptions {
  /**
   * Close the real transport when the worker closes its side (the node's stop() does). Default
   * true: the worker's node owns the transport, as it does when it runs on the page.
   */
  readonly closeTransport?: boolean;
}

export interface ExposedTransport {
  /** Stops relaying (the transport stays open unless the worker already closed it). */
  detach(): void;
  /** Resolves once the worker closed its side (and the transport, with closeTransport). */
  readonly closed: Promise<void>;
}

/** Relays `transport` over `port`; the worker connects with `connectPortTransport(port)`. */
export function exposeTransport(transport: Transport, port: BridgePort, options: ExposeTransportOptions = {}): ExposedTransport {
  if (typeof port?.postMessage !== 'function' || typeof port.addEventListener !== 'function') {
    throw new BridgeInputError('exposeTransport needs a MessagePort');
  }
  const closeTransport = options.closeTransport ?? true;
  const post = (msg: PageToWorker, transfer?: Transferable[]): void => port.postMessage(msg, transfer);
  const upPeers = (): string[] => transport.links().filter((l) => l.state !== 'down').map((l) => l.peer);
  let detached = false;
  let markClosed = (): void => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const offs = [
    transport.on('frame', (from, frame) => {
      const buf = detachableCopy(frame);
      post({ tag: TRANSPORT_TAG, t: 'frame', from, buf }, [buf]);
    }),
    transport.on('peer-up', (peer) => post({ tag: TRANSPORT_TAG, t: 'peer-up', peer, links: transport.links() })),
    transport.on('peer-down', (peer) => post({ tag: TRANSPORT_TAG, t: 'peer-down', peer, links: transport.links() })),
    transport.on('link', (info) => post({ tag: TRANSPORT_TAG, t: 'link', info, links: transport.links() })),
    transport.on('error', (err) => post({ tag: TRANSPORT_TAG, t: 'error', message: err.message })),
  ];
  const stopListening = listen(port, (data) => {
    if (!isTransportMessage(data)) return;
    const msg = data as { t: string; to?: unknown; buf?: unknown };
    if (msg.t === 'send' && typeof msg.to === 'string' && msg.buf instanceof ArrayBuffer) {
      transport.send(msg.to, new Uint8Array(msg.buf));
    } else if (msg.t === 'close') {
      detach();
      void (closeTransport ? transport.close() : Promise.resolve()).finally(() => {
        post({ tag: TRANSPORT_TAG, t: 'closed' });
        markClosed();
      });
    }
  });
  post({ tag: TRANSPORT_TAG, t: 'hello', self: transport.self, up: upPeers(), links: transport.links() });

  function detach(): void {
    if (detached) return;
    detached = true;
    for (const off of offs) off();
    stopListening();
  }
  return { detach, closed };
}
