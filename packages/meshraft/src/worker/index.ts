/**
 * @module worker
 * Run a meshraft node in a Web Worker or a Node worker_thread: the page keeps the real transport
 * (`exposeTransport`), the worker's node uses `connectPortTransport`, and `exposeNode` /
 * `connectNodeClient` let the page call the worker's node.
 */
export { exposeTransport, type ExposedTransport, type ExposeTransportOptions } from './expose-transport.js';
export { connectPortTransport, type PortTransportOptions } from './port-transport.js';
export { connectNodeClient, exposeNode, type ExposableNode, type NodeClient } from './node-rpc.js';
export { BridgeClosedError, BridgeInputError, RemoteNodeError } from './errors.js';
export type { BridgePort } from './port.js';
