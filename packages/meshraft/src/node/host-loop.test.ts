/**
 * The host loop's own guarantees, on a scripted core and a fake clock: persist before send, one
 * Ready at a time, apply through the session table, retries and timeouts.
 */
import { EntryType, type Entry, type Message } from '@meshraft/core';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '@meshraft/storage';
import { createCounterStateMachine } from '../kv/index.js';
import { FakeTimers, flush } from './__tests__/fake-timers.js';
import { gatedStorage, ready, recordingTransport, ScriptedCore, scriptedAdapter } from './__tests__/scripted-core.js';
import { createNode } from './create-node.js';
import { NodeStoppedError, NoQuorumError } from './errors.js';
import { decodeCommandEntry } from './entry-codec.js';
import { encodeFrame } from './wire.js';

async function setup() {
  const log: string[] = [];
  const core = new ScriptedCore(log);
  const { storage, release, updates } = gatedStorage(log);
  const timers = new FakeTimers();
  const node = await createNode({
    cluster: 't',
    id: 'a',
    storage,
    transport: recordingTransport(log),
    stateMachine: createCounterStateMachine(),
    core: scriptedAdapter(core),
    timers,
  });
  return { log, core, release, timers, node, updates, storage };
}

const heartbeat = { type: 'heartbeatResp', from: 'a', to: 'b', term: 1, context: null } as const;

function entry(index: number, data: Uint8Array, term = 1): Entry {
  return { term, index, type: EntryType.Normal, data };
}

describe('host loop', () => {
  it('persists a Ready before sending its messages and takes the next Ready only after advance', async () => {
    const { log, core, release, timers, node } = await setup();
    core.readies.push(
      ready({ entries: [entry(1, new Uint8Array())], hardState: { term: 1, vote: null, commit: 0 }, messages: [heartbeat] }),
      ready({ messages: [{ ...heartbeat, to: 'c' }] }),
    );
    await timers.advance(100); // a tick starts the loop
    expect(log).toEqual(['ready heartbeatResp', 'save-start']);
    await timers.advance(1000); // ticks keep reaching the core, but no second Ready while saving
    expect(core.ticks).toBeGreaterThan(5);
    expect(log).toEqual(['ready heartbeatResp', 'save-start']);
    release();
    await flush();
    expect(log).toEqual([
      'ready heartbeatResp',
      'save-start',
      'save-end',
      'send b frame',
      'advance',
      'ready heartbeatResp',
      'send c frame',
      'advance',
    ]);
    await node.stop();
  });

  it('re-proposes a dropped proposal after an election timeout and rejects with NO_QUORUM at the deadline', async () => {
    const { core, timers, node } = await setup();
    core.dropProposals = 100;
    const p = node.propose({ type: 'add', delta: 1 }, { timeoutMs: 5000 });
    const settled = p.catch((e: unknown) => e);
    await timers.advance(2500);
    expect(core.proposals).toHaveLength(0);
    const attempts = core.dropProposals;
    expect(100 - attempts).toBeGreaterThanOrEqual(3); // first try + one per election timeout (1 s)
    await timers.advance(2500);
    const err = await settled;
    expect(err).toBeInstanceOf(NoQuorumError);
    expect((err as NoQuorumError).request?.seq).toBe(1);
    const read = node.read({ type: 'get' }).catch((e: unknown) => e);
    await node.stop();
    expect(await read).toBeInstanceOf(NodeStoppedError);
    expect(timers.pending).toBe(0); // stop() leaves no timer behind
  });

  it('applies a committed command once; a duplicate entry is answered from the session table', async () => {
    const { core, timers, node } = await setup();
    const p = node.propose({ type: 'add', delta: 5 });
    await flush();
    const data = core.proposals[0]!;
    core.readies.push(ready({ committedEntries: [entry(1, data), entry(2, data)] }));
    await timers.advance(100);
    expect(await p).toEqual({ ok: true, value: 5 });
    expect(await node.read({ type: 'get' }, { consistency: 'local' })).toMatchObject({ value: 5, applied: 1 });
    expect(node.status().applied).toBe(2);
    await node.stop();
  });

  it('serves a linearizable read only once applied reaches the read index', async () => {
    const { core, timers, node } = await setup();
    let done = false;
    const r = node.read({ type: 'get' }).then((v) => ((done = true), v));
    await flush();
    const ctx = core.readContexts[0]!;
    core.readies.push(ready({ readStates: [{ index: 2, context: ctx }] }));
    await timers.advance(100);
    expect(done).toBe(false);
    const p = node.propose({ type: 'add', delta: 3 });
    await flush();
    core.readies.push(ready({ committedEntries: [entry(1, new Uint8Array()), entry(2, core.proposals[0]!)] }));
    await timers.advance(100);
    expect(await r).toMatchObject({ value: 3 });
    await p;
    await node.stop();
  });

  it('drops malformed frames and frames addressed to another node', async () => {
    const log: string[] = [];
    const core = new ScriptedCore(log);
    const transport = recordingTransport(log);
    const node = await createNode({
      cluster: 't',
      id: 'a',
      storage: gatedStorage(log).storage,
      transport,
      stateMachine: createCounterStateMachine(),
      core: scriptedAdapter(core),
      timers: new FakeTimers(),
    });
    transport.emit('b', new Uint8Array([1, 2, 3]));
    transport.emit('b', encodeFrame('t', 'b', 'z', { kind: 'raft', msg: { ...heartbeat, from: 'b', to: 'z' } }));
    transport.emit('b', encodeFrame('other', 'b', 'a', { kind: 'raft', msg: { ...heartbeat, from: 'b', to: 'a' } }));
    expect(log.filter((l) => l.startsWith('step'))).toEqual([]);
    transport.emit('b', encodeFrame('t', 'b', 'a', { kind: 'raft', msg: { ...heartbeat, from: 'b', to: 'a' } }, 'c1'.repeat(16)));
    expect(log.filter((l) => l.startsWith('step'))).toEqual(['step heartbeatResp']);
    await node.stop();
  });

  it('a failed save is fatal: the node reports the error, sends nothing and stops', async () => {
    const { log, core, timers, node, storage } = await setup();
    storage.save = () => Promise.reject(new Error('disk full'));
    const errors: Error[] = [];
    node.on('error', (e) => errors.push(e));
    const pending = node.propose({ type: 'add', delta: 1 });
    core.readies.push(ready({ entries: [entry(1, new Uint8Array())], messages: [heartbeat] }));
    await timers.advance(100);
    expect(errors.map((e) => e.message)).toEqual(['disk full']);
    expect(log).not.toContain('send b frame');
    await expect(pending).rejects.toBeInstanceOf(NodeStoppedError);
    expect(node.status().stopped).toBe(true);
  });

  it('serves lease reads only on a leader acknowledged by a quorum in its term, recently', async () => {
    const log: string[] = [];
    const core = new ScriptedCore(log);
    const transport = recordingTransport(log);
    const timers = new FakeTimers();
    const node = await createNode({
      cluster: 't',
      id: 'a',
      storage: createMemoryStorage(),
      transport,
      stateMachine: createCounterStateMachine(),
      core: scriptedAdapter(core),
      timers,
      bootstrap: { voters: ['a', 'b', 'c'] },
    });
    // An answer echoing the send stamp `answers` (the leader's clock) of what it answers.
    const ack = (from: string, term: number, answers?: number): void =>
      transport.emit(
        from,
        encodeFrame('t', from, 'a', { kind: 'raft', msg: { type: 'heartbeatResp', from, to: 'a', term, context: null }, answers }, node.clusterId),
      );
    const leaseRead = async (): Promise<boolean> => {
      const before = core.readContexts.length;
      const r = node.read({ type: 'get' }, { consistency: 'lease', timeoutMs: 50 }).catch(() => undefined);
      await flush();
      await timers.advance(60);
      await r;
      return core.readContexts.length === before; // no ReadIndex round: served from the lease
    };
    // Leader of term 2 with an entry of its term applied.
    core.readies.push(
      ready({
        softState: { role: 'leader', lead: 'a' },
        hardState: { term: 2, vote: 'a', commit: 2 },
        committedEntries: [entry(2, new Uint8Array(), 2)],
      }),
    );
    await timers.advance(100);
    expect(await leaseRead()).toBe(false); // nobody acknowledged yet
    ack('b', 1, timers.now());
    expect(await leaseRead()).toBe(false); // an answer from an older term does not count
    ack('b', 2);
    expect(await leaseRead()).toBe(false); // an answer without an echoed stamp proves no time
    ack('b', 2, timers.now() - 600);
    expect(await leaseRead()).toBe(false); // it answers a send 600 ms old (e.g. buffered across a pause)
    ack('b', 2, timers.now());
    expect(await leaseRead()).toBe(true); // a and b: a quorum of three
    await timers.advance(500); // half the election timeout (1 s) since the send b answered
    expect(await leaseRead()).toBe(false);
    ack('b', 2, timers.now());
    expect(await leaseRead()).toBe(true);
    // Handing leadership over: the target may lead term 3 at once, so term 2 holds no lease again.
    core.readies.push(ready({ messages: [{ type: 'timeoutNow', from: 'a', to: 'b', term: 2 }] }));
    await timers.advance(100);
    expect(log).toContain('ready timeoutNow');
    ack('b', 2, timers.now());
    expect(await leaseRead()).toBe(false);
    await node.stop();
  });

  it('announces a role change with the term it belongs to in status()', async () => {
    const { core, release, timers, node } = await setup();
    const seen: string[] = [];
    node.on('role', (role) => seen.push(`${role} ${node.status().term}`));
    core.readies.push(ready({ softState: { role: 'leader', lead: 'a' }, hardState: { term: 7, vote: 'a', commit: 0 } }));
    await timers.advance(100);
    release();
    await flush();
    expect(seen).toEqual(['leader 7']);
    await node.stop();
  });

  it('writes a commit-only hard state with the next write (or at stop), not on its own', async () => {
    const { log, core, release, timers, node, updates } = await setup();
    core.readies.push(ready({ entries: [entry(1, new Uint8Array())], hardState: { term: 1, vote: 'a', commit: 0 } }));
    await timers.advance(100);
    release();
    await flush();
    core.readies.push(ready({ hardState: { term: 1, vote: 'a', commit: 1 }, messages: [heartbeat] }));
    await timers.advance(100);
    // Sent and advanced without touching the disk.
    expect(log.filter((l) => l === 'save-start')).toHaveLength(1);
    expect(log.slice(-2)).toEqual(['send b frame', 'advance']);
    const stopped = node.stop();
    await flush();
    release();
    await stopped;
    expect(log.filter((l) => l === 'save-end')).toHaveLength(2);
    expect(updates.at(-1)).toEqual({ hardState: { term: 1, vote: 'a', commit: 1 } });
  });

  it("carries the client's acked floor: everything below its lowest unanswered request", async () => {
    const { core, timers, node } = await setup();
    const acked = (): number => decodeCommandEntry(core.proposals.at(-1)!)!.acked;
    const cmd = { type: 'add', delta: 1 } as const;
    const p1 = node.propose(cmd);
    const p2 = node.propose(cmd, { timeoutMs: 50 }).catch((e: unknown) => e);
    await flush();
    expect(acked()).toBe(0); // seq 2 is sent while seq 1 is in flight
    core.readies.push(ready({ committedEntries: [entry(1, core.proposals[0]!)] }));
    await timers.advance(100); // seq 1 answered; seq 2 timed out unanswered
    await p1;
    expect(await p2).toBeInstanceOf(NoQuorumError);
    const p3 = node.propose(cmd).catch((e: unknown) => e);
    await flush();
    expect(acked()).toBe(1); // seq 2 may still be retried: its result must be kept
    core.readies.push(ready({ committedEntries: [entry(2, core.proposals[1]!)] }));
    await timers.advance(100); // seq 2's entry applied after all
    const p4 = node.propose(cmd).catch((e: unknown) => e);
    await flush();
    expect(acked()).toBe(2); // seq 3 is still in flight
    await node.stop();
    // Never answered: stopping rejects them with a typed error instead of leaving them hanging.
    expect(await p3).toBeInstanceOf(NodeStoppedError);
    expect(await p4).toBeInstanceOf(NodeStoppedError);
  });

  it("sends a leader's appends before its own save, but never ahead of a new term or vote", async () => {
    const { log, core, release, timers, node } = await setup();
    // With an entry: an empty append only moves a commit index, and those are held (commit-notices).
    const app: Message = { type: 'app', from: 'a', to: 'b', term: 2, index: 0, logTerm: 0, entries: [entry(1, new Uint8Array(), 2)], commit: 0 };
    // Became leader in this very Ready, with its term and vote not yet written: all waits.
    core.readies.push(
      ready({ softState: { role: 'leader', lead: 'a' }, hardState: { term: 2, vote: 'a', commit: 0 }, entries: [entry(1, new Uint8Array(), 2)], messages: [app] }),
    );
    await timers.advance(100);
    expect(log).toEqual(['ready app', 'save-start']);
    release();
    await flush();
    // Same term and vote: the append goes out first, the save runs meanwhile.
    core.readies.push(ready({ entries: [entry(2, new Uint8Array(), 2)], messages: [{ ...app, to: 'c' }] }));
    await timers.advance(100);
    expect(log.slice(-3)).toEqual(['ready app', 'send c frame', 'save-start']);
    release();
    await flush();
    await node.stop();
  });

  it('holds a commit-only append, except one that commits a conf change (FOUND-BUGS 17)', async () => {
    const { log, core, release, timers, node } = await setup();
    const notice = (to: string, commit: number): Message => ({ type: 'app', from: 'a', to, term: 2, index: 2, logTerm: 2, entries: [], commit });
    core.readies.push(
      ready({ softState: { role: 'leader', lead: 'a' }, hardState: { term: 2, vote: 'a', commit: 0 }, entries: [entry(1, new Uint8Array(), 2), confEntry(2)] }),
    );
    await timers.advance(100);
    release();
    await flush();
    // An ordinary commit: the notice waits for a later append (or the 2 ms delay).
    core.readies.push(ready({ hardState: { term: 2, vote: 'a', commit: 1 }, committedEntries: [entry(1, new Uint8Array(), 2)], messages: [notice('b', 1)] }));
    await timers.advance(100);
    release();
    await flush();
    expect(log.filter((l) => l === 'send b frame')).toHaveLength(0);
    // The conf change's commit goes out in its own Ready: a leader that just removed itself may stop
    // before a held notice would leave, and the new voters would never learn the configuration.
    core.readies.push(ready({ hardState: { term: 2, vote: 'a', commit: 2 }, committedEntries: [{ ...confEntry(2), term: 2 }], messages: [notice('c', 2)] }));
    await timers.advance(100);
    release();
    await flush();
    expect(log).toContain('send c frame');
    await node.stop();
  });

  it('writes the commit index before applying a conf change it covers', async () => {
    const { log, core, release, timers, node, updates } = await setup();
    core.readies.push(ready({ entries: [entry(1, new Uint8Array()), confEntry(2)], hardState: { term: 1, vote: 'a', commit: 0 } }));
    await timers.advance(100);
    release();
    await flush();
    core.readies.push(ready({ hardState: { term: 1, vote: 'a', commit: 2 }, committedEntries: [entry(1, new Uint8Array()), confEntry(2)] }));
    await timers.advance(100);
    expect(log.at(-1)).toBe('save-start'); // commit-only, yet written (and awaited) first
    release();
    await flush();
    expect(updates.at(-1)).toEqual({ hardState: { term: 1, vote: 'a', commit: 2 } });
    expect(log.at(-1)).toBe('advance');
    await node.stop();
  });
});

function confEntry(index: number): Entry {
  return { term: 1, index, type: EntryType.ConfChange, data: new TextEncoder().encode('{"changes":[]}') };
}
