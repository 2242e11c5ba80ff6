import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster, type Tab } from '../support/demo-tabs.js';

type Outcome = { ok: true } | { ok: false; claimedBy?: { by: string; name: string }; gone?: true };

/** Starts the claim in the page at wall-clock time `at` (both pages share the machine's clock). */
function claimAt(tab: Tab, cardId: string, at: number): Promise<Outcome> {
  return tab.page.evaluate(
    ([id, when]) =>
      new Promise<Outcome>((resolve, reject) => {
        const api = (window as unknown as { meshraft: { claim(id: string): Promise<Outcome> } }).meshraft;
        setTimeout(() => api.claim(id).then(resolve, reject), Math.max(0, when - Date.now()));
      }),
    [cardId, at] as const,
  );
}

test('two tabs claim the same card at the same moment: exactly one wins, every round', async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('claims'), 3)));
  await waitForCluster(tabs, 3);
  const [a, b] = tabs as [Tab, Tab];
  const [ida, idb] = [(await a.status()).id, (await b.status()).id];
  const ROUNDS = 40;
  const winners = { [ida]: 0, [idb]: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const card = await a.page.evaluate((r) => (window as unknown as { meshraft: { addCard(t: string): Promise<{ id: string }> } }).meshraft.addCard(`card ${r}`), round);
    await expect.poll(async () => (await b.cards()).some((c) => c.id === card.id)).toBe(true);
    const at = Date.now() + 30;
    const [ra, rb] = await Promise.all([claimAt(a, card.id, at), claimAt(b, card.id, at)]);
    const oks = [ra, rb].filter((r) => r.ok);
    expect(oks, `round ${round}: ${JSON.stringify([ra, rb])}`).toHaveLength(1);
    const winner = ra.ok ? ida : idb;
    const loser = ra.ok ? rb : ra;
    // The loser is told who has it.
    expect(loser).toMatchObject({ ok: false, claimedBy: { by: winner } });
    winners[winner]!++;
    // Every replica agrees on the winner.
    for (const t of tabs) {
      await expect.poll(async () => (await t.cards()).find((c) => c.id === card.id)?.claim?.by).toBe(winner);
    }
  }
  console.log(`claims won: ${JSON.stringify(winners)}`);
  expect(winners[ida]! + winners[idb]!).toBe(ROUNDS);
});
