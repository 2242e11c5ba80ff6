import { expect, test } from '../support/demo-fixture.js';
import { freshRoom, openCluster, waitForCluster } from '../support/demo-tabs.js';

test("the leader's tab closes: a new leader is elected and every acknowledged edit survives", async ({ browser, demo, tabs }) => {
  tabs.push(...(await openCluster(browser, demo.origin, freshRoom('failover'), 3)));
  const leaderId = await waitForCluster(tabs, 3);
  const statuses = await Promise.all(tabs.map((t) => t.status()));
  const leader = tabs[statuses.findIndex((s) => s.id === leaderId)]!;
  const followers = tabs.filter((t) => t !== leader);

  // Writers on both followers keep proposing while the leader's tab goes away; only the puts
  // whose promise resolved count as acknowledged.
  const acked: string[] = [];
  let stop = false;
  const writer = async (w: number): Promise<void> => {
    const t = followers[w]!;
    for (let i = 0; !stop; i++) {
      const key = `w${w}-${i}`;
      try {
        await t.put(key, String(i));
        acked.push(key);
      } catch {
        // Not acknowledged (timed out during the election): may or may not be there.
      }
    }
  };
  const writers = [writer(0), writer(1)];
  await expect.poll(() => acked.length, { timeout: 20_000 }).toBeGreaterThan(10);
  await leader.context.close();
  tabs.splice(tabs.indexOf(leader), 1);
  const before = acked.length;
  await expect.poll(async () => (await followers[0]!.status()).leader, { timeout: 30_000 }).not.toBe(leaderId);
  await expect.poll(() => acked.length, { timeout: 30_000 }).toBeGreaterThan(before + 10);
  stop = true;
  await Promise.all(writers);

  const newLeader = (await followers[0]!.status()).leader;
  expect(newLeader).not.toBeNull();
  for (const t of followers) {
    expect((await t.status()).leader).toBe(newLeader);
    for (const key of acked) expect(await t.get(key), key).toBe(key.split('-')[1]);
  }
});
