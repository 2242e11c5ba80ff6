export * from './durable-storage.js';
