export * from './transport.js';
export * from './errors.js';
export * from './signaling/index.js';
