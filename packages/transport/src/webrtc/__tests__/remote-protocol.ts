/** IPC messages between RemoteTransport (test process) and remote-peer.ts (child process). */
import type { LinkInfo } from '../../transport.js';

export type ToChild =
  | { readonly t: 'send'; readonly to: string; readonly frame: Uint8Array }
  | { readonly t: 'close' };

export type FromChild =
  | { readonly t: 'ready' }
  | { readonly t: 'peer-up' | 'peer-down'; readonly peer: string }
  | { readonly t: 'link'; readonly info: LinkInfo }
  | { readonly t: 'links'; readonly links: LinkInfo[] }
  | { readonly t: 'frame'; readonly from: string; readonly frame: Uint8Array }
  | { readonly t: 'error'; readonly message: string }
  | { readonly t: 'refused'; readonly to: string; readonly bytes: number }
  | { readonly t: 'closed' };
