/**
 * @module file/records
 * What goes inside a frame: a WAL record (one save, or one setMeta) or the checkpoint. One save is
 * one record, so a torn write loses a whole save or nothing of it: saves are atomic.
 */
import type { Entry, HardState } from '@meshraft/core';
import type { ViewState } from '../view-storage.js';
import {
  DecodeError,
  Reader,
  Writer,
  readConfState,
  readEntries,
  readHardState,
  readSnapshot,
  writeConfState,
  writeEntries,
  writeHardState,
  writeSnapshot,
} from './codec.js';
import { encodeFrameOf } from './frame.js';

const KIND_UPDATE = 1;
const KIND_META = 2;
const HAS_HARD_STATE = 1;
const HAS_CONF_STATE = 2;
const CHECKPOINT_VERSION = 1;

export type WalRecord =
  | {
      readonly kind: 'update';
      readonly entries: readonly Entry[];
      readonly hardState?: HardState;
    }
  | { readonly kind: 'meta'; readonly key: string; readonly value: string };

export function encodeRecord(record: WalRecord): Uint8Array {
  const w = new Writer();
  if (record.kind === 'meta') return w.u8(KIND_META).string(record.key).string(record.value).finish();
  w.u8(KIND_UPDATE).u8(record.hardState ? HAS_HARD_STATE : 0);
  writeEntries(w, record.entries);
  if (record.hardState) writeHardState(w, record.hardState);
  return w.finish();
}

export function decodeRecord(payload: Uint8Array): WalRecord {
  const r = new Reader(payload);
  const kind = r.u8();
  let record: WalRecord;
  if (kind === KIND_META) {
    record = { kind: 'meta', key: r.string(), value: r.string() };
  } else if (kind === KIND_UPDATE) {
    const flags = r.u8();
    if (flags & ~(HAS_HARD_STATE | HAS_CONF_STATE)) throw new DecodeError(`unknown flags ${flags}`);
    const entries = readEntries(r);
    const hardState = flags & HAS_HARD_STATE ? readHardState(r) : undefined;
    // Written by older versions; read past and dropped (the configuration follows the snapshot).
    if (flags & HAS_CONF_STATE) readConfState(r);
    record = { kind: 'update', entries, ...(hardState && { hardState }) };
  } else {
    throw new DecodeError(`unknown record kind ${kind}`);
  }
  r.end();
  return record;
}

/**
 * The checkpoint's body: everything but the first WAL segment to replay, which is only known
 * when the checkpoint is written (the body is encoded when the save or compact is called).
 */
export function encodeCheckpointBody(state: ViewState): Uint8Array {
  const w = new Writer();
  writeSnapshot(w, state.snapshot);
  writeHardState(w, state.hardState);
  // The format keeps a configuration slot; it holds the snapshot's and is never read back.
  writeConfState(w, state.snapshot.metadata.confState);
  writeEntries(w, state.entries);
  w.uint(state.meta.size);
  for (const [key, value] of state.meta) w.string(key).string(value);
  return w.finish();
}

/** The checkpoint file's one frame: its head, then `body` (not copied twice: it can be large). */
export function encodeCheckpointFrame(walStart: number, body: Uint8Array): Uint8Array {
  return encodeFrameOf([new Writer().u8(CHECKPOINT_VERSION).uint(walStart).finish(), body]);
}

export interface Checkpoint {
  /** The first WAL segment to replay on top of the checkpoint; older ones are obsolete. */
  readonly walStart: number;
  readonly state: ViewState;
}

export function decodeCheckpoint(payload: Uint8Array): Checkpoint {
  const r = new Reader(payload);
  const version = r.u8();
  if (version !== CHECKPOINT_VERSION) throw new DecodeError(`unknown checkpoint version ${version}`);
  const walStart = r.uint();
  const snapshot = readSnapshot(r);
  const hardState = readHardState(r);
  readConfState(r); // see encodeCheckpointBody
  const entries = readEntries(r);
  const meta = new Map<string, string>();
  const n = r.uint();
  for (let i = 0; i < n; i++) meta.set(r.string(), r.string());
  r.end();
  if (entries.length > 0 && entries[0]!.index !== snapshot.metadata.index + 1) {
    throw new DecodeError(`retained entries start at ${entries[0]!.index}, not after the snapshot at ${snapshot.metadata.index}`);
  }
  return { walStart, state: { snapshot, hardState, entries, meta } };
}
