/**
 * @module @meshraft/sim-runtime
 * The runtime host of the simulator: real MeshraftNodes on a virtual clock, a simulated transport
 * and a simulated disk on the shipped ViewStorage, checked with @meshraft/sim's invariants and
 * linearizability checker. A package of its own because it depends on the runtime, whose tests
 * depend on @meshraft/sim. See docs/simulation.md.
 */
export {
  simulateRuntime,
  formatRuntimeVerdictLine,
  DEFAULT_RUNTIME_OPTIONS,
  RUNTIME_FAULT_RATES,
  type RuntimeSimOptions,
  type RuntimeSimResult,
  type RuntimeFaultRates,
} from './runtime-simulator.js';
export { wrapStateMachine, wrapStorage, wrapTimers, RUNTIME_BUGS, type RuntimeBug } from './runtime-bugs.js';
export { VirtualClock } from './virtual-clock.js';
export { SimDisk, SimStorage, type InFlightWrite, type WriteKind, type DiskStats } from './sim-storage.js';
export { SimNetwork } from './sim-transport.js';
