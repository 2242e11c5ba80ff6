/**
 * @module port
 * The structural MessagePort both bridges speak over: a browser `MessagePort` (page ↔ Web
 * Worker) and a `node:worker_threads` MessagePort fit it, so one bridge serves both.
 */

/** The part of a MessagePort the bridges use (browser and node:worker_threads alike). */
export interface BridgePort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  /** Browser ports queue messages until started (addEventListener does not start them). */
  start?(): void;
  close(): void;
}

/** Listens for messages on `port`; returns the unsubscribe function. */
export function listen(port: BridgePort, onMessage: (data: unknown) => void): () => void {
  const listener = (event: { readonly data: unknown }): void => onMessage(event.data);
  port.addEventListener('message', listener);
  port.start?.();
  return () => port.removeEventListener('message', listener);
}

/**
 * A frame as its own ArrayBuffer, ready to be transferred (zero-copy across the port). The
 * copy keeps the sender's buffer intact: transports and the runtime may reuse it or share one
 * buffer between views.
 */
export function detachableCopy(frame: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(frame.byteLength);
  copy.set(frame);
  return copy.buffer;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
