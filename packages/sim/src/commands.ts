/**
 * @module commands
 * The commands the simulated KV service replicates, encoded as JSON in entry data.
 * An entry with empty data is a leader's no-op and not a command.
 */
import type { KvInput } from './linearizability/kv-model.js';

export type Command =
  /** Opens a client session; `nonce` lets the proposing node match the answer to the caller. */
  | { readonly t: 'reg'; readonly nonce: string }
  | { readonly t: 'kv'; readonly client: number; readonly seq: number; readonly op: KvInput }
  /** A marker write used by the liveness check. */
  | { readonly t: 'mark'; readonly id: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: Command): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

/** Decodes entry data; null for a no-op (empty) entry. */
export function decodeCommand(data: Uint8Array): Command | null {
  if (data.length === 0) return null;
  return JSON.parse(decoder.decode(data)) as Command;
}

export function encodeText(s: string): Uint8Array {
  return encoder.encode(s);
}

export function decodeText(b: Uint8Array): string {
  return decoder.decode(b);
}
