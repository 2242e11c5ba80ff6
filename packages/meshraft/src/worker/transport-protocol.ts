/**
 * @module transport-protocol
 * Messages of the transport bridge. The page (owner of the real transport) sends events; the
 * worker sends frames and asks to close. Frames travel as transferred ArrayBuffers.
 */
import type { LinkInfo, PeerId } from '@meshraft/transport';
import { isRecord } from './port.js';

/** Tags every bridge message so a port shared with app messages can tell them apart. */
export const TRANSPORT_TAG = 'meshraft/transport@1';

export type PageToWorker =
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'hello'; readonly self: PeerId; readonly up: PeerId[]; readonly links: LinkInfo[] }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'frame'; readonly from: PeerId; readonly buf: ArrayBuffer }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'peer-up' | 'peer-down'; readonly peer: PeerId; readonly links: LinkInfo[] }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'link'; readonly info: LinkInfo; readonly links: LinkInfo[] }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'error'; readonly message: string }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'closed' };

export type WorkerToPage =
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'send'; readonly to: PeerId; readonly buf: ArrayBuffer }
  | { readonly tag: typeof TRANSPORT_TAG; readonly t: 'close' };

/** Bridge messages only; anything else on the port is not ours. */
export function isTransportMessage(data: unknown): data is { readonly tag: typeof TRANSPORT_TAG; readonly t: string } {
  return isRecord(data) && data['tag'] === TRANSPORT_TAG && typeof data['t'] === 'string';
}
