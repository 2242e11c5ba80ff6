/**
 * @module browser
 * Browser-tab helpers: page lifecycle (hand leadership over when hidden or closing, no campaigns
 * while hidden) and the tick gate that keeps a hidden or freshly resumed tab out of elections.
 */
export {
  attachPageLifecycle,
  pickTransferTarget,
  type LifecycleDocument,
  type LifecycleNode,
  type LifecycleWindow,
  type PageLifecycle,
  type PageLifecycleOptions,
} from './page-lifecycle.js';
export { createTickGate, type TickGate, type TickGateOptions } from './tick-gate.js';
export { LifecycleInputError } from './errors.js';
