/**
 * @module meshraft/peer
 * A Node (or Deno) process as a durable meshraft member: `startPeer` and the pieces of the
 * `meshraft peer` command (flags, event log, the etcd gateway's KvClient over a node).
 */
export { PEER_FLAGS, SIGNALING_FLAGS, usage, type FlagSpec, type FlagTable, type HelpTopic } from './peer-flags.js';
export {
  parseCommand,
  parseHttpAddress,
  USAGE,
  type AutoCompaction,
  type ClientTlsFiles,
  type Command,
  type HttpAddress,
  type PeerConfig,
  type SignalingConfig,
} from './peer-args.js';
export { ClusterExistsError, ListenError, UsageError } from './peer-errors.js';
export { FORK_FILE } from './founding.js';
export { createPeerKvClient, waitForLeader, type PeerKvClientOptions } from './peer-kv-client.js';
export { createPeerLog, logNodeEvents, type LogSink, type PeerLog } from './peer-log.js';
export { holdsState, startPeer, type Peer } from './start-peer.js';
