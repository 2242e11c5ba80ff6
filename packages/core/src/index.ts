export * from './types.js';
export * from './errors.js';
export * from './storage.js';
export * from './memory-storage.js';
export * from './raft-errors.js';
export * from './messages.js';
export { seededRandom } from './random.js';
export { DEFAULTS, type RaftConfig } from './config.js';
export { Role } from './roles.js';
export type { ReadState } from './raft.js';
export { RawNode, type BasicStatus, type Ready, type SoftState, type Status, type ProgressStatus } from './raw-node.js';
export { ProgressState } from './progress.js';
export { MajorityConfig, JointConfig, VoteResult } from './quorum.js';
export {
  decodeConfChange,
  encodeConfChange,
  validateConfChange,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeType,
} from './conf-change.js';
