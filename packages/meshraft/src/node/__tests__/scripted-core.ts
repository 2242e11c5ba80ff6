/**
 * Test doubles for the host loop's unit tests: a core that hands out scripted Readies and records
 * every call, a storage whose saves complete only when the test says so, and a transport that
 * records what is sent. All calls go to one shared `log`, so tests can assert on ordering.
 */
import { EMPTY_CONF_STATE, ProposalDroppedError, type ConfState, type Message, type Ready, type Status } from '@meshraft/core';
import { createMemoryStorage, type DurableStorage, type StorageUpdate } from '@meshraft/storage';
import type { LinkInfo, Transport, TransportEvents } from '@meshraft/transport';
import type { ConfChange, CoreAdapter, RaftCore } from '../raft-core.js';

export class ScriptedCore implements RaftCore {
  readonly readies: Ready[] = [];
  readonly proposals: Uint8Array[] = [];
  readonly readContexts: Uint8Array[] = [];
  /** How many upcoming propose() calls throw ProposalDroppedError. */
  dropProposals = 0;
  ticks = 0;

  constructor(
    private readonly log: string[],
    private readonly id = 'a',
  ) {}

  tick(): void {
    this.ticks++;
  }
  step(m: Message): void {
    this.log.push(`step ${m.type}`);
  }
  propose(data: Uint8Array): void {
    this.log.push('propose');
    if (this.dropProposals > 0) {
      this.dropProposals--;
      throw new ProposalDroppedError(null, 'no leader');
    }
    this.proposals.push(data);
  }
  readIndex(ctx: Uint8Array): void {
    this.readContexts.push(ctx);
  }
  transferLeadership(): void {}
  proposeConfChange(): void {}
  applyConfChange(_cc: ConfChange): ConfState {
    return EMPTY_CONF_STATE;
  }
  hasReady(): boolean {
    return this.readies.length > 0;
  }
  ready(): Ready {
    const rd = this.readies.shift()!;
    this.log.push(`ready${rd.messages.map((m) => ` ${m.type}`).join('')}`);
    return rd;
  }
  advance(): void {
    this.log.push('advance');
  }
  status(): Status {
    return this.basicStatus();
  }
  basicStatus(): Status {
    return { id: this.id, role: 'follower', term: 1, vote: null, lead: null, commit: 0, applied: 0, lastIndex: 0, leadTransferee: null };
  }
}

export function scriptedAdapter(core: ScriptedCore): CoreAdapter {
  return { create: () => core, decodeConfChange: () => ({ changes: [] }) };
}

export function ready(parts: Partial<Ready>): Ready {
  return { entries: [], committedEntries: [], messages: [], readStates: [], mustSync: false, ...parts };
}

/** Memory storage whose save() resolves only when release() is called. */
export function gatedStorage(log: string[]): { storage: DurableStorage; release(): void; updates: StorageUpdate[] } {
  const inner = createMemoryStorage();
  const waiting: (() => void)[] = [];
  const updates: StorageUpdate[] = [];
  const storage = Object.create(inner) as DurableStorage;
  storage.save = async (u: StorageUpdate) => {
    log.push('save-start');
    updates.push(u);
    await new Promise<void>((r) => waiting.push(r));
    await inner.save(u);
    log.push('save-end');
  };
  return {
    storage,
    updates,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
  };
}

export function recordingTransport(log: string[], self = 'a'): Transport & { emit: TransportEvents['frame'] } {
  let onFrame: TransportEvents['frame'] = () => {};
  return {
    self,
    send(to, frame) {
      log.push(`send ${to} ${frame.byteLength > 0 ? 'frame' : 'empty'}`);
      return true;
    },
    on(event, listener) {
      if (event === 'frame') onFrame = listener as TransportEvents['frame'];
      return () => {};
    },
    links: (): LinkInfo[] => [],
    close: async () => {},
    emit: (from, frame) => onFrame(from, frame),
  };
}
