/**
 * @module websocket.browser
 * Browsers: the global WebSocket.
 */
import type { WebSocketFactory, WebSocketLike } from './websocket.js';

export const createPlatformWebSocket: WebSocketFactory = (url) =>
  new WebSocket(url) as unknown as WebSocketLike;
