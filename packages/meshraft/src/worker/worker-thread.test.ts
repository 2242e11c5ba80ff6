import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { CounterCommand, CounterQuery, CounterResult, CounterState } from '../kv/index.js';
import { testCluster, waitFor, type TestCluster } from '../node/__tests__/cluster.js';
import { RemoteNodeError } from './errors.js';
import { exposeTransport } from './expose-transport.js';
import { connectNodeClient, type NodeClient } from './node-rpc.js';
import type { BridgePort } from './port.js';

const VOTERS = ['a', 'b', 'w'];

describe('a node in a node:worker_threads Worker', () => {
  let cluster: TestCluster | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    await worker?.terminate();
  });

  it('is a voter of a cluster of main-thread nodes: replicates, leads, answers over the RPC', async () => {
    cluster = testCluster(11);
    const c = cluster;
    // The main thread owns w's real transport (as a page owns WebRTC) and bridges it.
    const transportChannel = new MessageChannel();
    const nodeChannel = new MessageChannel();
    exposeTransport(c.net.transport('w'), transportChannel.port1 as unknown as BridgePort);
    worker = new Worker(new URL('./__tests__/thread-entry.mjs', import.meta.url), {
      execArgv: ['--conditions=source'],
      workerData: { transportPort: transportChannel.port2, nodePort: nodeChannel.port2, voters: VOTERS },
      transferList: [transportChannel.port2, nodeChannel.port2],
    });
    const w: NodeClient<CounterCommand, CounterResult, CounterQuery, CounterState> = connectNodeClient(nodeChannel.port1 as unknown as BridgePort);
    await Promise.all(['a', 'b'].map((id) => c.start(id, { bootstrap: { voters: VOTERS } })));

    // A proposal made in the worker commits and is applied on the main-thread nodes.
    expect(await w.propose({ type: 'add', delta: 5 })).toMatchObject({ ok: true, value: 5 });
    await waitFor(() => c.node('a').status().applied === c.node('b').status().applied && c.node('a').status().applied > 0, 'a and b applied');
    expect(await c.node('a').read({ type: 'get' })).toMatchObject({ value: 5 });

    // Leadership can move into the worker, and main-thread proposals then go through it.
    const leader = await c.leader();
    if (leader.id !== 'w') await leader.transferLeadership('w');
    await waitFor(() => w.lastStatus()?.role === 'leader', 'the worker node leads');
    expect(await c.node('b').propose({ type: 'add', delta: 2 })).toMatchObject({ ok: true, value: 7 });
    expect(await w.read({ type: 'get' })).toMatchObject({ value: 7 });
    const status = await w.status();
    expect(status.members.map((m) => `${m.id}:${m.role}`).sort()).toEqual(['a:voter', 'b:voter', 'w:voter']);

    // Errors cross the port with their code.
    await expect(w.transferLeadership('nobody')).rejects.toBeInstanceOf(RemoteNodeError);
    await w.stop();
    await expect(w.propose({ type: 'add', delta: 1 })).rejects.toMatchObject({ code: 'NODE_STOPPED' });
    w.close();
  });
});
