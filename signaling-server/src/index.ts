export * from './signaling-server.js';
export * from './protocol.js';
