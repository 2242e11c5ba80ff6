/**
 * Worker-thread entry for the worker_threads test: a counter node whose transport is the port
 * bridge to the main thread's memory transport, driven over the node RPC.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createMemoryStorage } from '@meshraft/storage';
import { createCounterStateMachine } from '../../kv/index.js';
import { createNode } from '../../node/index.js';
import type { BridgePort } from '../port.js';
import { connectPortTransport } from '../port-transport.js';
import { exposeNode } from '../node-rpc.js';

const data = workerData as { transportPort: MessagePort; nodePort: MessagePort; voters: string[] };
const transport = await connectPortTransport(data.transportPort as unknown as BridgePort);
const node = await createNode({
  cluster: 'test',
  storage: createMemoryStorage(),
  transport,
  stateMachine: createCounterStateMachine(),
  timing: { tickMs: 10, electionTicks: 10, heartbeatTicks: 1 },
  timeoutMs: 20_000,
  bootstrap: { voters: data.voters },
});
exposeNode(node, data.nodePort as unknown as BridgePort);
node.on('status', (s) => {
  if (s.stopped) parentPort?.close();
});
