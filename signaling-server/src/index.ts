export * from './signaling-server.js';
export * from './protocol.js';
export { RoomRecordsError } from './room-records.js';
