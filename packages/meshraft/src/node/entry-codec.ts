/**
 * @module entry-codec
 * The data of a normal log entry written by the runtime: the session key, the client's acked
 * floor and the state machine's encoded command. Snapshots carry the state machine's bytes plus the
 * session table, so exactly-once survives log compaction.
 */
import { Packr } from 'msgpackr';
import { writeMsgpack } from '../kv/msgpack-writer.js';
import type { SessionTableData } from './sessions.js';

const packr = new Packr({ useRecords: false });

export interface CommandEntry {
  readonly client: string;
  readonly seq: number;
  readonly acked: number;
  /** The state machine's encoding of the command (StateMachine.encodeCommand). */
  readonly command: Uint8Array;
}

export function encodeCommandEntry(e: CommandEntry): Uint8Array {
  return packr.pack([e.client, e.seq, e.acked, e.command]);
}

/** Undefined for data the runtime did not write (it is skipped, never applied). */
export function decodeCommandEntry(data: Uint8Array): CommandEntry | undefined {
  let v: unknown;
  try {
    v = packr.unpack(data);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 4) return undefined;
  const [client, seq, acked, command] = v as unknown[];
  if (typeof client !== 'string' || typeof seq !== 'number' || typeof acked !== 'number') return undefined;
  if (!(command instanceof Uint8Array)) return undefined;
  return { client, seq, acked, command };
}

export interface SnapshotPayload {
  readonly state: Uint8Array;
  readonly sessions: SessionTableData;
}

/**
 * The bytes `packr.pack([state, sessions])` gives, written into one buffer of their size: msgpackr
 * grows its buffer to a large state by copying, and this runs on the host loop (FOUND-BUGS 16).
 */
export function encodeSnapshotPayload(p: SnapshotPayload): Uint8Array {
  const sessions = packr.pack(p.sessions);
  return writeMsgpack((out) => {
    out.array(2);
    out.bin(p.state);
    out.raw(sessions);
  });
}

export function decodeSnapshotPayload(data: Uint8Array): SnapshotPayload {
  const [state, sessions] = packr.unpack(data) as [Uint8Array, SessionTableData];
  return { state, sessions };
}
