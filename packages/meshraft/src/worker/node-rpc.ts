/**
 * @module node-rpc
 * A small RPC so the page can drive the node that runs in a worker: `exposeNode` in the worker,
 * `connectNodeClient` on the page. Commands, queries and results must be structured-cloneable
 * (the KV and counter state machines' are). Errors keep their `code` across the port.
 */
import type { MeshraftNode, NodeStatus, OpOptions, ProposeOptions, ReadOptions } from '../node/index.js';
import { BridgeClosedError, BridgeInputError, RemoteNodeError } from './errors.js';
import { isRecord, listen, type BridgePort } from './port.js';

const NODE_TAG = 'meshraft/node@1';

type Method = 'propose' | 'read' | 'status' | 'transferLeadership' | 'stop';
const METHODS: ReadonlySet<string> = new Set<Method>(['propose', 'read', 'status', 'transferLeadership', 'stop']);

interface Call {
  readonly tag: typeof NODE_TAG;
  readonly id: number;
  readonly method: Method;
  readonly args: unknown[];
}
type Reply =
  | { readonly tag: typeof NODE_TAG; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly tag: typeof NODE_TAG; readonly id: number; readonly ok: false; readonly error: RemoteErrorData };
interface StatusPush {
  readonly tag: typeof NODE_TAG;
  readonly event: 'status';
  readonly status: NodeStatus;
}
interface RemoteErrorData {
  readonly code: string;
  readonly name: string;
  readonly message: string;
}

/** The node methods the page may call, minus anything that cannot cross a port. */
export type ExposableNode<C, R, Q, QR> = Pick<MeshraftNode<C, R, Q, QR>, 'propose' | 'read' | 'status' | 'transferLeadership' | 'stop' | 'on'>;

/** Serves `node`'s propose/read/status/transferLeadership/stop on `port`; returns a detach function. */
export function exposeNode<C, R, Q, QR>(node: ExposableNode<C, R, Q, QR>, port: BridgePort): () => void {
  if (typeof port?.postMessage !== 'function') throw new BridgeInputError('exposeNode needs a MessagePort');
  const stopListening = listen(port, (data) => {
    if (!isRecord(data) || data['tag'] !== NODE_TAG || typeof data['id'] !== 'number') return;
    const call = data as unknown as Call;
    void answer(call).then((reply) => port.postMessage(reply));
  });
  const offStatus = node.on('status', (status) => port.postMessage({ tag: NODE_TAG, event: 'status', status } satisfies StatusPush));
  port.postMessage({ tag: NODE_TAG, event: 'status', status: node.status() } satisfies StatusPush);

  async function answer(call: Call): Promise<Reply> {
    try {
      if (!METHODS.has(call.method) || !Array.isArray(call.args)) throw new BridgeInputError(`unknown method ${String(call.method)}`);
      const [a, b] = call.args;
      let value: unknown;
      switch (call.method) {
        case 'propose':
          value = await node.propose(a as C, (b ?? {}) as ProposeOptions);
          break;
        case 'read':
          value = await node.read(a as Q, (b ?? {}) as ReadOptions);
          break;
        case 'status':
          value = node.status();
          break;
        case 'transferLeadership':
          if (typeof a !== 'string') throw new BridgeInputError('transferLeadership needs a node id');
          await node.transferLeadership(a, (b ?? {}) as OpOptions);
          break;
        case 'stop':
          await node.stop();
          break;
      }
      return { tag: NODE_TAG, id: call.id, ok: true, value };
    } catch (err) {
      return { tag: NODE_TAG, id: call.id, ok: false, error: toErrorData(err) };
    }
  }
  return () => {
    stopListening();
    offStatus();
  };
}

/** The page's handle on a node in a worker. */
export interface NodeClient<C, R, Q, QR> {
  propose(command: C, options?: ProposeOptions): Promise<R>;
  read(query: Q, options?: ReadOptions): Promise<QR>;
  /** Asks the worker (always current). */
  status(): Promise<NodeStatus>;
  /** The last status the worker pushed (null before the first). */
  lastStatus(): NodeStatus | null;
  onStatus(listener: (status: NodeStatus) => void): () => void;
  transferLeadership(id: string, options?: OpOptions): Promise<void>;
  /** Stops the worker's node. */
  stop(): Promise<void>;
  /** Rejects pending calls with `BRIDGE_CLOSED` and stops listening (the node keeps running). */
  close(): void;
}

export function connectNodeClient<C = unknown, R = unknown, Q = unknown, QR = unknown>(port: BridgePort): NodeClient<C, R, Q, QR> {
  if (typeof port?.postMessage !== 'function') throw new BridgeInputError('connectNodeClient needs a MessagePort');
  let nextId = 1;
  let closed = false;
  let last: NodeStatus | null = null;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const statusListeners = new Set<(status: NodeStatus) => void>();
  const stopListening = listen(port, (data) => {
    if (!isRecord(data) || data['tag'] !== NODE_TAG) return;
    if (data['event'] === 'status') {
      last = (data as unknown as StatusPush).status;
      for (const l of statusListeners) l(last);
      return;
    }
    const reply = data as unknown as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new RemoteNodeError(reply.error.code, reply.error.message, reply.error.name));
  });
  function call(method: Method, args: unknown[]): Promise<unknown> {
    if (closed) return Promise.reject(new BridgeClosedError('the node client is closed'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        port.postMessage({ tag: NODE_TAG, id, method, args } satisfies Call);
      } catch (err) {
        pending.delete(id);
        reject(new BridgeInputError(`arguments cannot cross the port: ${(err as Error).message}`));
      }
    });
  }
  return {
    propose: (command, options) => call('propose', [command, options]) as Promise<R>,
    read: (query, options) => call('read', [query, options]) as Promise<QR>,
    status: () => call('status', []) as Promise<NodeStatus>,
    lastStatus: () => last,
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    transferLeadership: async (id, options) => {
      await call('transferLeadership', [id, options]);
    },
    stop: async () => {
      await call('stop', []);
    },
    close() {
      if (closed) return;
      closed = true;
      stopListening();
      for (const p of pending.values()) p.reject(new BridgeClosedError('the node client is closed'));
      pending.clear();
    },
  };
}

function toErrorData(err: unknown): RemoteErrorData {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'REMOTE_ERROR', name: err.name, message: err.message };
  }
  return { code: 'REMOTE_ERROR', name: 'Error', message: String(err) };
}
