/** Membership through the runtime: join as learner, automatic promotion, replacement, leave. */
import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type CounterNode, type TestCluster } from './__tests__/cluster.js';
import { InvalidOptionError, NodeStoppedError } from './errors.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

function voters(n: CounterNode): string[] {
  return n.status().members.filter((m) => m.role === 'voter').map((m) => m.id).sort();
}
/** `n` voters in a settled (non-joint) configuration. */
function settled(node: CounterNode, n: number): boolean {
  return voters(node).length === n && !node.status().joint;
}
function learners(n: CounterNode): string[] {
  return n.status().members.filter((m) => m.role === 'learner').map((m) => m.id).sort();
}

describe('membership', () => {
  it('later nodes join as learners and the leader promotes them up to the target', async () => {
    cluster = testCluster(3);
    const a = await cluster.start('a', { bootstrap: true });
    await waitFor(() => a.status().role === 'leader', 'the founder to lead');
    expect(await a.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
    const voterCounts: number[] = [];
    a.on('members', (ms) => voterCounts.push(ms.filter((m) => m.role === 'voter').length));
    await cluster.start('b');
    await cluster.start('c');
    await cluster.start('d');
    await waitFor(() => settled(a, 3) && learners(a).length === 1, 'three voters and a learner', 30_000);
    expect(voters(a)).toContain('a');
    expect(voterCounts).not.toContain(2); // straight from one voter to three, never an even two
    const d = cluster.node(learners(a)[0]!);
    // The learner replicated the founder's snapshot and the log since.
    await waitFor(() => d.status().applied >= a.status().applied, 'the learner to catch up');
    expect((await d.read({ type: 'get' })).value).toBe(1);
    const b = cluster.node('b');
    expect(await b.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 2 });
  });

  it('a restarted founder does not lead alone on its bootstrap configuration', async () => {
    cluster = testCluster(8);
    const a = await cluster.start('a', { bootstrap: true });
    await waitFor(() => a.status().role === 'leader', 'the founder to lead');
    await cluster.start('b');
    await cluster.start('c');
    await waitFor(() => settled(a, 3), 'three voters');
    expect(await a.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
    await a.stop();
    const b = cluster.node('b');
    expect(await b.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 2 });
    // Its snapshot says "a alone"; the log after it says a, b, c.
    const back = await cluster.start('a');
    const errors: Error[] = [];
    back.on('error', (e) => errors.push(e));
    expect(await back.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 3 });
    const leader = await cluster.leader();
    await leader.propose({ type: 'add', delta: 0 });
    for (const id of ['a', 'b', 'c']) {
      const n = cluster.node(id);
      await waitFor(() => n.status().applied >= leader.status().applied, `${id} to catch up`);
      expect((await n.read({ type: 'get' }, { consistency: 'local' })).value).toBe(3);
    }
    expect(voters(back)).toEqual(['a', 'b', 'c']);
    expect(errors).toEqual([]);
  });

  it('manual addLearner / promote / remove go through the replicated configuration', async () => {
    cluster = testCluster(4);
    const a = await cluster.start('a', { bootstrap: true, membership: { auto: false } });
    await waitFor(() => a.status().role === 'leader', 'the founder to lead');
    await a.addLearner('b');
    expect(learners(a)).toEqual(['b']);
    const b = await cluster.start('b', { membership: { auto: false } });
    await waitFor(() => learners(b).includes('b'), 'b to learn it is a learner');
    await a.promote('b');
    expect(voters(a)).toEqual(['a', 'b']);
    expect(await b.propose({ type: 'add', delta: 4 })).toEqual({ ok: true, value: 4 });
    const removed = new Promise<void>((resolve) => b.on('removed', resolve));
    await a.remove('b');
    expect(voters(a)).toEqual(['a']);
    await removed;
    expect(await a.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 5 });
    await expect(a.remove('a')).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(a.leave()).rejects.toBeInstanceOf(InvalidOptionError);
    expect(a.status().stopped).toBe(false);
    // A removed member does not ask to join again (it would otherwise come back as a learner).
    await new Promise((r) => setTimeout(r, 500));
    expect(a.status().members.map((m) => m.id)).toEqual(['a']);
  });

  it('replaces a voter unreachable past the grace period with a caught-up learner in one joint change', async () => {
    cluster = testCluster(5);
    const membership = { graceMs: 400 };
    const a = await cluster.start('a', { bootstrap: true, membership });
    await waitFor(() => a.status().role === 'leader', 'the founder to lead');
    await cluster.start('b', { membership });
    await cluster.start('c', { membership });
    await waitFor(() => settled(a, 3), 'three voters');
    await cluster.start('d', { membership });
    await waitFor(() => learners(a).includes('d'), 'd to be a learner');
    const leader = await cluster.leader();
    const victim = voters(leader).find((v) => v !== leader.id)!;
    const votersSeen: number[] = [];
    leader.on('members', (ms) => votersSeen.push(ms.filter((m) => m.role === 'voter').length));
    await cluster.node(victim).stop();
    await waitFor(() => !voters(leader).includes(victim) && voters(leader).includes('d'), `${victim} replaced by d`, 30_000);
    expect(voters(leader)).toHaveLength(3);
    expect(Math.min(...votersSeen)).toBeGreaterThanOrEqual(3); // never dipped below three voters
    expect(await leader.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 1 });
  });

  it('leave() removes the node from the configuration, then stops it', async () => {
    cluster = testCluster(6);
    for (const id of ['a', 'b', 'c']) await cluster.start(id, { bootstrap: { voters: ['a', 'b', 'c'] }, membership: { auto: false } });
    const leader = await cluster.leader();
    await leader.propose({ type: 'add', delta: 1 });
    // The leader leaves: it hands leadership over first.
    await leader.leave();
    expect(leader.status().stopped).toBe(true);
    await expect(leader.propose({ type: 'add', delta: 1 })).rejects.toBeInstanceOf(NodeStoppedError);
    const next = await cluster.leader();
    expect(voters(next)).toEqual(['a', 'b', 'c'].filter((id) => id !== leader.id));
    // A learner leaves.
    const l = await cluster.start('l', { membership: { auto: false } });
    await next.addLearner('l');
    await waitFor(() => learners(l).includes('l'), 'l to learn it is a learner');
    await l.leave();
    expect(learners(next)).toEqual([]);
    // A follower leaves too; the last voter carries on alone.
    const follower = [...cluster.nodes.values()].find((n) => n !== leader && n !== next)!;
    await follower.leave();
    expect(voters(next)).toEqual([next.id]);
    expect(await next.propose({ type: 'add', delta: 1 })).toEqual({ ok: true, value: 2 });
  });
});
