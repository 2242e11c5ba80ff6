/**
 * @module webrtc/simple-peer.node
 * Node (and bundlers that polyfill Node): simple-peer's main entry. Browsers get
 * simple-peer.browser.ts through the `browser` import condition.
 */
import SimplePeer from 'simple-peer';

export default SimplePeer;
