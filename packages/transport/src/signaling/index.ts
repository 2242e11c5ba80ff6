export * from './signaling-client.js';
export type { WebSocketFactory, WebSocketLike } from './websocket.js';
export { createRoomCipher, type RoomCipher, type SealedKind } from './room-crypto.js';
