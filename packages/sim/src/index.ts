/**
 * @module @meshraft/sim
 * Deterministic simulation of meshraft clusters, the safety checks and the linearizability
 * checker. See docs/simulation.md.
 */
export * from './linearizability/index.js';
export { Xoshiro128 } from './random.js';
export { Network, RELIABLE_NETWORK, type Envelope, type NetworkOptions, type NetworkStats } from './network.js';
export { SimSessionTable, type ClientId, type SessionDecision, type SessionTableOptions, type SessionTableJSON } from './sessions.js';
export { SafetyChecker, digestEntry, formatViolation, type InvariantKind, type Violation, type LogView, type EntryFact } from './invariants.js';
export { Cluster, describeMessage, type ClusterOptions, type ClusterListener } from './cluster.js';
export {
  SimNode,
  CRASH_POINTS,
  PIPELINED_CRASH_POINTS,
  SIM_BUGS,
  PIPELINED_BUGS,
  HOST_MODES,
  type CrashPoint,
  type ClassicBug,
  type PipelinedBug,
  type SimBug,
  type HostMode,
  type PipelineStats,
  type SimNodeConfig,
} from './sim-node.js';
export { mergeEntries, mergeReadies, needsWrite, type DiskWrite } from './disk-write.js';
export {
  simulate,
  formatVerdictLine,
  DEFAULT_OPTIONS,
  NETWORK_PROFILES,
  RETRY_HEAVY_WORKLOAD,
  type SimOptions,
  type SimResult,
  type SimVerdict,
  type FaultOptions,
  type MembershipOptions,
} from './simulator.js';
export { BadHistoryError, BadSimConfigError } from './errors.js';
export { Workload, type WorkloadOptions, type WorkloadStats } from './workload.js';
export { RUNTIME_BUGS, type RuntimeBug } from './runtime-bug-names.js';
export { parseArgs, replayCommand, USAGE, CLI_HOSTS, type CliArgs, type CliHost } from './cli-args.js';
export { runCoreCli } from './cli-run.js';
