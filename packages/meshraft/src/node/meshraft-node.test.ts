import { afterEach, describe, expect, it } from 'vitest';
import { testCluster, waitFor, type TestCluster } from './__tests__/cluster.js';

const VOTERS = { voters: ['a', 'b', 'c'] };
let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

async function threeNodes(): Promise<TestCluster> {
  cluster = testCluster();
  for (const id of VOTERS.voters) await cluster.start(id, { bootstrap: VOTERS });
  return cluster;
}

describe('MeshraftNode', () => {
  it('a 3-node cluster elects a leader and commits on every replica', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const r = await leader.propose({ type: 'add', delta: 5 });
    expect(r).toEqual({ ok: true, value: 5 });
    for (const id of VOTERS.voters) {
      await waitFor(() => c.node(id).status().applied >= leader.status().applied, `${id} to apply`);
      expect((await c.node(id).read({ type: 'get' }, { consistency: 'local' })).value).toBe(5);
    }
  });

  it('proposes from a follower and reads linearizably there', async () => {
    const c = await threeNodes();
    const leader = await c.leader();
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    expect(await follower.propose({ type: 'add', delta: 2 })).toEqual({ ok: true, value: 2 });
    expect(await follower.propose({ type: 'add', delta: 3 })).toEqual({ ok: true, value: 5 });
    expect((await follower.read({ type: 'get' })).value).toBe(5);
    expect((await leader.read({ type: 'get' }, { consistency: 'lease' })).value).toBe(5);
  });
});
