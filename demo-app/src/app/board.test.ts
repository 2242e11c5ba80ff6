import { afterEach, describe, expect, it } from 'vitest';
import { kvCluster, until, type KvCluster } from './__tests__/kv-cluster.js';
import { CardGoneError, CardInputError } from './demo-errors.js';

let cluster: KvCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('Board on a three-node cluster', () => {
  it('adds, renames, moves and deletes cards; every replica shows the same board', async () => {
    cluster = await kvCluster();
    const [a, b, c] = cluster.members;
    const card = await a!.board.add('  Write docs  ');
    expect(card).toMatchObject({ title: 'Write docs', column: 'todo', claim: null });
    await b!.board.rename(card.id, 'Write the docs');
    await c!.board.move(card.id, 'doing');
    for (const m of cluster.members) {
      await until(() => m.board.card(card.id)?.column === 'doing');
      expect(m.board.card(card.id)).toMatchObject({ title: 'Write the docs', column: 'doing' });
    }
    await a!.board.remove(card.id);
    for (const m of cluster.members) await until(() => m.board.cards().length === 0);
    // Deleting again is harmless; editing a deleted card is a typed error.
    await b!.board.remove(card.id);
    await expect(c!.board.rename(card.id, 'x')).rejects.toBeInstanceOf(CardGoneError);
  });

  it('refuses bad titles and columns with typed errors', async () => {
    cluster = await kvCluster();
    const { board } = cluster.members[0]!;
    await expect(board.add('   ')).rejects.toMatchObject({ code: 'DEMO_BAD_CARD' });
    await expect(board.add('x'.repeat(201))).rejects.toBeInstanceOf(CardInputError);
    await expect(board.add(42 as unknown as string)).rejects.toBeInstanceOf(CardInputError);
    const card = await board.add('ok');
    await expect(board.move(card.id, 'later' as never)).rejects.toMatchObject({ code: 'DEMO_BAD_CARD' });
  });

  it('concurrent claims from two members: exactly one wins every round, the other learns who', async () => {
    cluster = await kvCluster();
    const [a, b] = cluster.members;
    for (let round = 0; round < 20; round++) {
      const card = await a!.board.add(`card ${round}`);
      await until(() => b!.board.card(card.id) !== null);
      const [ra, rb] = await Promise.all([
        a!.board.claim(card.id, { by: 'a', name: 'Ann' }),
        b!.board.claim(card.id, { by: 'b', name: 'Bob' }),
      ]);
      expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
      const loser = ra.ok ? rb : ra;
      expect(loser).toEqual({ ok: false, claimedBy: ra.ok ? { by: 'a', name: 'Ann' } : { by: 'b', name: 'Bob' } });
    }
  });

  it('claiming one’s own card again succeeds; a deleted card cannot be claimed; only the holder releases', async () => {
    cluster = await kvCluster();
    const [a, b] = cluster.members;
    const card = await a!.board.add('mine');
    expect(await a!.board.claim(card.id, { by: 'a', name: 'Ann' })).toEqual({ ok: true });
    expect(await a!.board.claim(card.id, { by: 'a', name: 'Ann' })).toEqual({ ok: true });
    await until(() => b!.board.card(card.id)?.claim !== null);
    expect(await b!.board.release(card.id, { by: 'b' })).toBe(false);
    expect(await a!.board.release(card.id, { by: 'a' })).toBe(true);
    await until(() => b!.board.card(card.id)?.claim === null);
    await b!.board.remove(card.id);
    expect(await a!.board.claim(card.id, { by: 'a', name: 'Ann' })).toEqual({ ok: false, gone: true });
  });

  it('a rename and a move racing on different members both land (compare-and-set retry), and the claim stays', async () => {
    cluster = await kvCluster();
    const [a, b, c] = cluster.members;
    for (let round = 0; round < 10; round++) {
      const card = await a!.board.add(`t${round}`);
      await a!.board.claim(card.id, { by: 'a', name: 'Ann' });
      await until(() => b!.board.card(card.id)?.claim !== null && c!.board.card(card.id)?.claim !== null);
      await Promise.all([b!.board.rename(card.id, `renamed ${round}`), c!.board.move(card.id, 'done')]);
      for (const m of cluster.members) {
        await until(() => m.board.card(card.id)?.column === 'done' && m.board.card(card.id)?.title === `renamed ${round}`);
        expect(m.board.card(card.id)?.claim).toEqual({ by: 'a', name: 'Ann' });
      }
    }
  });

  it('ignores keys under card/ that are not cards', async () => {
    cluster = await kvCluster();
    const { node, board } = cluster.members[0]!;
    const { put } = await import('meshraft/kv');
    await node.propose(put('card/junk', 'not json'));
    await node.propose(put('card/half', JSON.stringify({ title: 'no column' })));
    const card = await board.add('real');
    expect(board.cards().map((c) => c.id)).toEqual([card.id]);
  });
});
