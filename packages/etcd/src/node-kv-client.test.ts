/** The etcd gateway over real runtime nodes: writes through Raft, linearizable reads, status, metrics. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '@meshraft/core';
import { createMemoryStorage } from '@meshraft/storage';
import { createMemoryNetwork } from '@meshraft/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createEtcdGateway } from './index.js';
import { createKvStateMachine, put, range, type KvStateMachine } from 'meshraft/kv';
import { FAST_TIMING, waitFor } from './__tests__/wait.js';
import { createNode } from 'meshraft';
import { createNodeKvClient, type KvNode } from './node-kv-client.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
let nodes: KvNode[] = [];
let servers: Server[] = [];

afterEach(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
  servers = [];
});

async function kvCluster(): Promise<{ nodes: KvNode[]; sms: KvStateMachine[] }> {
  const net = createMemoryNetwork();
  const voters = ['a', 'b', 'c'];
  const sms = voters.map(() => createKvStateMachine());
  for (const [i, id] of voters.entries()) {
    nodes.push(
      await createNode({
        cluster: 'kv',
        id,
        storage: createMemoryStorage(),
        transport: net.transport(id),
        stateMachine: sms[i]!,
        bootstrap: { voters },
        timing: FAST_TIMING,
        random: seededRandom(i + 1),
      }),
    );
  }
  await waitFor(() => nodes.find((n) => n.status().role === 'leader' && nodes.every((m) => m.status().leader === n.id)), 'a leader');
  return { nodes, sms };
}

async function serve(node: KvNode, sm: KvStateMachine): Promise<string> {
  const kv = createNodeKvClient(node, { stateMachine: sm });
  const server = createServer(createEtcdGateway(kv, { metrics: kv }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('createNodeKvClient', () => {
  it('serves the etcd gateway from any member: write on one, linearizable read on another', async () => {
    const { nodes, sms } = await kvCluster();
    const [x, y] = nodes.filter((n) => n.status().role !== 'leader') as [KvNode, KvNode];
    const urlX = await serve(x, sms[nodes.indexOf(x)]!);
    const urlY = await serve(y, sms[nodes.indexOf(y)]!);
    await post(`${urlX}/v3/kv/put`, { key: b64('k'), value: b64('v1') });
    const got = (await post(`${urlY}/v3/kv/range`, { key: b64('k') })) as { kvs: { value: string }[] };
    expect(got.kvs[0]!.value).toBe(b64('v1'));
    const status = (await post(`${urlY}/v3/maintenance/status`, {})) as Record<string, unknown>;
    expect(Number(status.raftIndex)).toBeGreaterThan(0);
    const members = (await post(`${urlY}/v3/cluster/member/list`, {})) as { members: unknown[] };
    expect(members.members).toHaveLength(3);
    const metrics = await (await fetch(`${urlX}/metrics`)).text();
    expect(metrics).toMatch(/meshraft_/);
  });

  it('answers proposals with the state machine result and reports node metrics', async () => {
    const { nodes, sms } = await kvCluster();
    const node = nodes[0]!;
    const kv = createNodeKvClient(node, { stateMachine: sms[0]! });
    const r = await kv.propose(put('a', '1'));
    expect(r).toMatchObject({ type: 'put', ok: true, revision: 2 });
    const q = await kv.read(range('a'), { linearizable: true });
    expect(q).toMatchObject({ ok: true, count: 1 });
    const m = kv.metrics();
    expect(m.appliedIndex).toBe(node.status().applied);
    expect(m.leaderChanges).toBeGreaterThanOrEqual(1);
    expect(m.storageWriteLatency!.count).toBeGreaterThan(0);
    expect(m.links.map((l) => l.peer).sort()).toEqual(['b', 'c']);
    expect((await kv.status()).dbSize).toBeGreaterThan(0);
  });
});
