/**
 * @module testing
 * `@meshraft/storage/testing`: the DurableStorage contract as framework-free cases, for anyone
 * writing or checking a backend (also run in a real browser). `@meshraft/storage/testing/vitest`
 * registers them as vitest tests.
 */
export * from './contract-cases.js';
