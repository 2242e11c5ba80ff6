/**
 * @module meshraft
 * Raft consensus for the browser edge. createNode runs a Raft node over a storage backend and a
 * transport; state machines (KV, counter) live in `meshraft/kv`.
 */
export * from './node/index.js';
export type { ApplyContext, StateMachine } from './kv/state-machine.js';
