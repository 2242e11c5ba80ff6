export * from './transport.js';
export * from './room-record.js';
export * from './errors.js';
export * from './envelope/index.js';
export * from './memory/index.js';
export * from './signaling/index.js';
export * from './scheduler.js';
export { Emitter } from './emitter.js';
export { writeTrace, writeTracing } from './write-trace.js';
