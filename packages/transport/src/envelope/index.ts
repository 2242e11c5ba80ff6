export * from './envelope.js';
export * from './frame-stats.js';
