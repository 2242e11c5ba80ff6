/**
 * @module websocket.node
 * Node: the global WebSocket when the runtime has one (Node 22+), else the `ws` package.
 * Browsers get websocket.browser.ts through the `browser` import condition, so `ws` stays out
 * of browser bundles.
 */
import WebSocket from 'ws';
import type { WebSocketFactory, WebSocketLike } from './websocket.js';

export const createPlatformWebSocket: WebSocketFactory = (url) => {
  const Native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  return Native ? new Native(url) : (new WebSocket(url) as unknown as WebSocketLike);
};
