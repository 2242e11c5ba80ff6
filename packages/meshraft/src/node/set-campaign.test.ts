import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type TestCluster } from './__tests__/cluster.js';
import { InvalidOptionError, NoQuorumError } from './errors.js';

const VOTERS = ['a', 'b', 'c'];
let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('MeshraftNode.setCampaign and lastLeaderContactMs', () => {
  it('a non-campaigning voter refuses a transfer, still replicates, and leads again once re-enabled', async () => {
    cluster = testCluster(31);
    const c = cluster;
    await Promise.all(VOTERS.map((id) => c.start(id, { bootstrap: { voters: VOTERS } })));
    const leader = await c.leader();
    const [b, other] = VOTERS.filter((id) => id !== leader.id).map((id) => c.node(id));
    expect(b!.status()).toMatchObject({ campaign: true });
    const seen: boolean[] = [];
    b!.on('status', (s) => seen.push(s.campaign === true));
    b!.setCampaign(false);
    expect(b!.status().campaign).toBe(false);
    expect(seen).toContain(false);

    // TimeoutNow is ignored: the transfer times out and the leader stays.
    const term = leader.status().term;
    await expect(leader.transferLeadership(b!.id, { timeoutMs: 300 })).rejects.toBeInstanceOf(NoQuorumError);
    expect(leader.status()).toMatchObject({ role: 'leader', term });
    // It still acknowledges entries, and records when it heard from the leader.
    expect(await b!.propose({ type: 'add', delta: 4 })).toMatchObject({ value: 4 });
    const heard = b!.status().lastLeaderContactMs;
    expect(heard).not.toBeNull();
    await waitFor(() => (b!.status().lastLeaderContactMs ?? 0) > heard!, 'a later heartbeat');

    // Re-enabled, the transfer succeeds.
    b!.setCampaign(true);
    await leader.transferLeadership(b!.id);
    expect(b!.status().role).toBe('leader');
    expect(other!.status().lastLeaderContactMs).not.toBeNull();
  });

  it('rejects a non-boolean with INVALID_OPTION and is a no-op once stopped', async () => {
    cluster = testCluster(32);
    const node = await cluster.start('a', { bootstrap: true });
    expect(node.status().lastLeaderContactMs).toBe(null); // a lone voter never hears from another leader
    expect(() => node.setCampaign(1 as unknown as boolean)).toThrow(InvalidOptionError);
    await node.stop();
    node.setCampaign(false);
    expect(node.status().campaign).toBe(true);
  });
});
