/**
 * Founding and forks (fork-detector): of two histories under one name exactly one continues;
 * the loser stops, says FORKED and hands its committed commands over.
 */
import { RoomRecordState, SharedRoomRecord } from '@meshraft/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type CounterNode, type TestCluster } from './__tests__/cluster.js';
import { ClusterForkedError } from './errors.js';
import { survivorOf, type ForkEvent } from './fork-detector.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const add = (n: CounterNode, delta: number) => n.propose({ type: 'add', delta });
const forkOf = (n: CounterNode): Promise<ForkEvent> => new Promise((resolve) => n.on('fork', resolve));

describe('survivorOf', () => {
  it('the record wins; without one the smaller id; while the record is pending, nobody decides', () => {
    const [lo, hi] = ['0'.repeat(32), 'f'.repeat(32)];
    expect(survivorOf(lo, hi, hi)).toBe(hi);
    expect(survivorOf(lo, undefined, hi)).toBe(hi);
    expect(survivorOf(hi, lo, null)).toBe(lo);
    expect(survivorOf(lo, hi, null)).toBe(lo);
    expect(survivorOf(lo, hi, undefined)).toBeUndefined();
    expect(survivorOf(lo, undefined, null)).toBeUndefined();
  });
});

describe('two founders under one name', () => {
  it('without a room record the smaller id survives; the loser stops, says FORKED and hands over its commands', async () => {
    cluster = testCluster(31);
    cluster.net.cut('a', 'x'); // founded apart, as two offline tabs would
    const a = await cluster.start('a', { bootstrap: true });
    const x = await cluster.start('x', { bootstrap: true });
    await waitFor(() => a.status().leader === 'a' && x.status().leader === 'x', 'both founders lead');
    expect(await add(a, 1)).toEqual({ ok: true, value: 1 });
    expect(await add(x, 10)).toEqual({ ok: true, value: 10 });
    expect(await add(x, 20)).toEqual({ ok: true, value: 30 });
    const [ida, idx] = [a.status().clusterId!, x.status().clusterId!];
    const [winner, loser] = ida < idx ? [a, x] : [x, a];
    const lost = forkOf(loser);
    cluster.net.heal('a', 'x');
    const e = await lost;
    expect(e.clusterId).toBe(loser.status().clusterId);
    expect(e.survivorId).toBe(winner.status().clusterId);
    expect(e.entries.map((en) => en.command)).toEqual(loser === x ? [{ type: 'add', delta: 10 }, { type: 'add', delta: 20 }] : [{ type: 'add', delta: 1 }]);
    expect(loser.status()).toMatchObject({ stopped: true, fork: { state: 'FORKED', clusterId: e.clusterId, survivorId: e.survivorId } });
    await expect(add(loser, 5)).rejects.toBeInstanceOf(ClusterForkedError);
    await expect(add(loser, 5)).rejects.toMatchObject({ code: 'CLUSTER_FORKED' });
    // The survivor goes on, and re-proposing the loser's commands there is the app's choice.
    for (const en of e.entries) await winner.propose(en.command as { type: 'add'; delta: number });
    expect(winner.status().fork).toBeNull();
    expect(winner.forked).toBeNull();
  });

  it('a loser restarted stays FORKED, with its commands', async () => {
    cluster = testCluster(32);
    cluster.net.cut('a', 'x');
    const a = await cluster.start('a', { bootstrap: true });
    const x = await cluster.start('x', { bootstrap: true });
    await waitFor(() => a.status().leader === 'a' && x.status().leader === 'x', 'both founders lead');
    await add(a, 1);
    await add(x, 2);
    const loser = a.status().clusterId! < x.status().clusterId! ? x : a;
    const lost = forkOf(loser);
    cluster.net.heal('a', 'x');
    const e = await lost;
    await loser.stop();
    await new Promise((r) => setTimeout(r, 20)); // the fork's meta write lands (not awaited by lose())
    const again = await cluster.start(loser.id, { bootstrap: true });
    expect(again.status().fork).toMatchObject({ state: 'FORKED', survivorId: e.survivorId });
    expect(again.forked?.entries).toEqual(e.entries);
    await expect(add(again, 3)).rejects.toBeInstanceOf(ClusterForkedError);
  });
});

describe('with a room record (the signaling server)', () => {
  it('a second founder in a room that has a record is forked at once; a fresh joiner asks the recorded cluster', async () => {
    const room = new SharedRoomRecord();
    cluster = testCluster(33, { room });
    const a = await cluster.start('a', { bootstrap: true });
    await waitFor(() => room.get() === a.status().clusterId, 'the room to record a');
    const x = await cluster.start('x', { bootstrap: true });
    expect(x.status().fork).toMatchObject({ state: 'FORKED', survivorId: a.status().clusterId });
    expect(a.status().fork).toBeNull();
    const j = await cluster.start('j');
    await waitFor(() => j.status().clusterId === a.status().clusterId, 'j admitted by a');
    expect(await add(a, 1)).toEqual({ ok: true, value: 1 });
  });

  it('a room that forgot learns the first id announced again; a returning member of another id is detected and stops', async () => {
    const room = new SharedRoomRecord();
    cluster = testCluster(34, { room });
    const a = await cluster.start('a', { bootstrap: true });
    await add(a, 7);
    await a.stop();
    room.forget(); // the signaling server restarted without --data
    cluster.nodes.delete('a');
    const b = await cluster.start('b', { bootstrap: true });
    await waitFor(() => room.get() === b.status().clusterId, 'the room to learn b');
    const back = await cluster.start('a');
    // a never merges into b: its history stops, its write handed over for re-proposal.
    expect(back.status().fork).toMatchObject({ state: 'FORKED', clusterId: a.status().clusterId, survivorId: b.status().clusterId });
    expect(back.forked?.entries.map((en) => en.command)).toEqual([{ type: 'add', delta: 7 }]);
    expect(b.status().members.map((m) => m.id)).toEqual(['b']);
    expect(await add(b, 1)).toEqual({ ok: true, value: 1 });
  });

  it('a fresh joiner whose link names another id than the room records holds back, says why, and joins once they agree', async () => {
    cluster = testCluster(35);
    const a = await cluster.start('a', { bootstrap: true });
    const linked = a.status().clusterId!;
    // j's room records another history (as a room whose server recorded a new board).
    const other = 'e'.repeat(32);
    const room = new RoomRecordState(() => {}, other);
    const j = await cluster.start('j', {
      clusterId: linked,
      transport: (nid) => Object.defineProperty(cluster!.net.transport(nid), 'room', { value: room }),
    });
    await waitFor(() => j.status().linkConflict, 'j to report the conflict');
    expect(j.status().linkConflict).toEqual({ linked, recorded: other });
    expect(j.status().waiting).toBe(`waiting: the link names cluster ${linked}, but the room records cluster ${other}; not joining a history the room does not keep`);
    await new Promise((r) => setTimeout(r, 600)); // 6 election timeouts: time enough to have joined
    expect(j.status().clusterId).toBeNull();
    expect(a.status().members.map((m) => m.id)).toEqual(['a']);
    expect(j.status().fork).toBeNull();
    room.set(linked); // the room records the linked history again
    await waitFor(() => j.status().clusterId === linked, 'j admitted once link and record agree');
    expect(j.status().linkConflict).toBeNull();
  });
});
