export * from './model.js';
export * from './check.js';
export * from './kv-model.js';
