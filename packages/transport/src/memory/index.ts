export * from './memory-network.js';
