export * from './signaling-client.js';
export type { WebSocketFactory, WebSocketLike } from './websocket.js';
export { createRoomCipher, SEAL_OVERHEAD, type OpenedMessage, type RoomCipher, type SealedKind } from './room-crypto.js';
export { ReplayWindow, type ReplayVerdict, type ReplayWindowOptions } from './replay-window.js';
