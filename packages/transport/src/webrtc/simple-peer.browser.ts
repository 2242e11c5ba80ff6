/**
 * @module webrtc/simple-peer.browser
 * Browsers: simple-peer's prebuilt bundle, which carries its own `Buffer`, `process` and stream
 * shims. The main entry needs Node globals that Vite does not provide, so importing it would
 * make every app add polyfill configuration.
 */
import SimplePeer from 'simple-peer/simplepeer.min.js';

export default SimplePeer;
