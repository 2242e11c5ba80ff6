/**
 * @module testing
 * `@meshraft/transport/testing`: the Transport contract suite (vitest) every adapter runs, and
 * the small polling helpers it uses.
 */
export { describeTransportContract, type ContractNetwork, type TransportContractOptions } from './contract.js';
export { seededRandom, until } from './wait.js';
