/**
 * @module validate
 * Shape checks for what hosts hand to a DurableStorage. TypeScript types vanish at runtime and a
 * bad index written to disk would poison the log forever, so malformed input is refused with an
 * InvalidUpdateError before anything is applied.
 */
import { EntryType, type ConfState, type Entry, type HardState, type Snapshot } from '@meshraft/core';
import type { StorageUpdate } from './durable-storage.js';
import { InvalidUpdateError } from './errors.js';

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function checkIndex(n: unknown, what: string): void {
  if (!isIndex(n)) throw new InvalidUpdateError(`${what} must be a non-negative safe integer, got ${String(n)}`);
}

function checkBytes(b: unknown, what: string): void {
  if (!(b instanceof Uint8Array)) throw new InvalidUpdateError(`${what} must be a Uint8Array`);
}

function checkIds(ids: unknown, what: string): void {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new InvalidUpdateError(`${what} must be an array of node id strings`);
  }
}

export function checkEntry(e: Entry, what = 'entry'): void {
  if (e === null || typeof e !== 'object') throw new InvalidUpdateError(`${what} must be an object`);
  checkIndex(e.index, `${what}.index`);
  if (e.index === 0) throw new InvalidUpdateError(`${what}.index must be at least 1`);
  checkIndex(e.term, `${what}.term`);
  if (e.type !== EntryType.Normal && e.type !== EntryType.ConfChange) {
    throw new InvalidUpdateError(`${what}.type ${String(e.type)} is not an EntryType`);
  }
  checkBytes(e.data, `${what}.data`);
}

export function checkHardState(hs: HardState): void {
  if (hs === null || typeof hs !== 'object') throw new InvalidUpdateError('hardState must be an object');
  checkIndex(hs.term, 'hardState.term');
  checkIndex(hs.commit, 'hardState.commit');
  if (hs.vote !== null && typeof hs.vote !== 'string') throw new InvalidUpdateError('hardState.vote must be a string or null');
}

export function checkConfState(cs: ConfState, what = 'confState'): void {
  if (cs === null || typeof cs !== 'object') throw new InvalidUpdateError(`${what} must be an object`);
  checkIds(cs.voters, `${what}.voters`);
  checkIds(cs.learners, `${what}.learners`);
  checkIds(cs.votersOutgoing, `${what}.votersOutgoing`);
  checkIds(cs.learnersNext, `${what}.learnersNext`);
  if (typeof cs.autoLeave !== 'boolean') throw new InvalidUpdateError(`${what}.autoLeave must be a boolean`);
}

export function checkSnapshot(s: Snapshot): void {
  if (s === null || typeof s !== 'object' || s.metadata === null || typeof s.metadata !== 'object') {
    throw new InvalidUpdateError('snapshot must be an object with metadata');
  }
  checkIndex(s.metadata.index, 'snapshot.metadata.index');
  checkIndex(s.metadata.term, 'snapshot.metadata.term');
  checkConfState(s.metadata.confState, 'snapshot.metadata.confState');
  checkBytes(s.data, 'snapshot.data');
}

/** Checks the shape of every part of `update` (not its fit with the log: see StorageView). */
export function checkUpdate(update: StorageUpdate): void {
  if (update === null || typeof update !== 'object') throw new InvalidUpdateError('an update must be an object');
  if (update.snapshot !== undefined) checkSnapshot(update.snapshot);
  if (update.entries !== undefined) {
    if (!Array.isArray(update.entries)) throw new InvalidUpdateError('entries must be an array');
    update.entries.forEach((e, i) => checkEntry(e, `entries[${i}]`));
  }
  if (update.hardState !== undefined) checkHardState(update.hardState);
  // Removed from the contract (the configuration follows the snapshot); refused rather than
  // ignored, so a host written against the old contract learns it at its first save.
  if ('confState' in update) {
    throw new InvalidUpdateError('confState is not saved: initialState().confState is the held snapshot\'s configuration');
  }
}

export function checkMeta(key: string, value: string): void {
  if (typeof key !== 'string' || typeof value !== 'string') throw new InvalidUpdateError('meta keys and values must be strings');
}
