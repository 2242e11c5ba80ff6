/** The peer's KvClient over runtime nodes on the memory network: leader wait, no-leader failure, watch. */
import { createMemoryStorage } from '@meshraft/storage';
import { createMemoryNetwork } from '@meshraft/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createKvStateMachine, put, type KvStateMachine } from 'meshraft/kv';
import { createNode } from 'meshraft';
import type { KvNode } from '../node-kv-client.js';
import { createPeerKvClient, waitForLeader } from './peer-kv-client.js';

const TIMING = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 };
const nodes: KvNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function start(net: ReturnType<typeof createMemoryNetwork>, id: string, bootstrap: boolean): Promise<{ node: KvNode; sm: KvStateMachine }> {
  const sm = createKvStateMachine();
  const node = await createNode({ cluster: 't', id, storage: createMemoryStorage(), transport: net.transport(id), stateMachine: sm, bootstrap, timing: TIMING });
  nodes.push(node);
  return { node, sm };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('createPeerKvClient', () => {
  it('without a leader: NO_LEADER after the deadline for writes and linearizable reads; local reads answer', async () => {
    const { node, sm } = await start(createMemoryNetwork(), 'alone', false);
    const kv = createPeerKvClient(node, { stateMachine: sm, requestTimeoutMs: 50 });
    await expect(kv.propose(put(enc('k'), enc('v')))).rejects.toMatchObject({ code: 'NO_LEADER' });
    await expect(kv.read({ type: 'range', key: enc('k') }, { linearizable: true })).rejects.toMatchObject({ code: 'NO_LEADER' });
    const local = await kv.read({ type: 'range', key: enc('k') }, { linearizable: false });
    expect(local).toMatchObject({ ok: true, kvs: [] });
    await expect(waitForLeader(node, 10)).rejects.toMatchObject({ code: 'NO_LEADER' });
  });

  it('a request that arrives before the election waits for the leader, then commits; watch sees it', async () => {
    const { node, sm } = await start(createMemoryNetwork(), 'solo', true);
    const kv = createPeerKvClient(node, { stateMachine: sm, requestTimeoutMs: 10_000 });
    const events: number[] = [];
    const off = kv.watch!({ key: enc('k') }, (e) => events.push(e.revision));
    const r = await kv.propose(put(enc('k'), enc('v')));
    expect(r.ok).toBe(true);
    expect(node.status().leader).toBe('solo');
    const read = await kv.read({ type: 'range', key: enc('k') }, { linearizable: true });
    if (!read.ok) throw new Error(`range failed: ${read.code}`);
    expect(new TextDecoder().decode(read.kvs[0]!.value)).toBe('v');
    expect(events.length).toBe(1);
    off();
  });
});
