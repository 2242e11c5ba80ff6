export * from './relay-transport.js';
