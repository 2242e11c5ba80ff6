/**
 * @module webrtc/ice-servers
 * Parses the `URL[,username,credential]` form users give for STUN/TURN servers
 * (`meshraft peer --ice-server`, the demo's `--ice-server` and `?ice=` parameter) into an
 * RTCIceServer, with a clear BadIceServerError instead of a failure deep inside RTCPeerConnection.
 *
 * URLs follow RFC 7064/7065: `stun:HOST[:PORT]`, `turn:HOST[:PORT][?transport=udp|tcp]`,
 * `turns:HOST[:PORT][?transport=tcp]`; HOST is a name, an IPv4 address or `[IPv6]`. TURN needs a
 * username and credential (browsers refuse a TURN server without them); STUN takes none. The
 * credential is everything after the second comma, so it may itself contain commas.
 */
import { BadIceServerError } from './errors.js';

const URL_RE = /^(stun|turn|turns):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\?transport=(udp|tcp))?$/;

export function parseIceServer(spec: string): RTCIceServer {
  const first = spec.indexOf(',');
  const url = (first < 0 ? spec : spec.slice(0, first)).trim();
  const rest = first < 0 ? null : spec.slice(first + 1);
  const second = rest === null ? -1 : rest.indexOf(',');
  const username = rest === null ? undefined : second < 0 ? rest : rest.slice(0, second);
  const credential = rest === null || second < 0 ? undefined : rest.slice(second + 1);
  const m = URL_RE.exec(url);
  if (!m) {
    const scheme = /^([a-z][a-z0-9+-]*):/i.exec(url)?.[1];
    const why = scheme && !['stun', 'turn', 'turns'].includes(scheme.toLowerCase())
      ? `scheme "${scheme}:" is not stun:, turn: or turns:`
      : 'expected stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT]';
    throw new BadIceServerError(spec, why);
  }
  const [, scheme, , port, , transport] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new BadIceServerError(spec, `port ${port} is not in 1-65535`);
  if (scheme === 'turns' && transport === 'udp') throw new BadIceServerError(spec, 'turns: runs over TLS, so transport=udp is not possible');
  if (scheme === 'stun') {
    if (username !== undefined) throw new BadIceServerError(spec, 'a stun: server takes no username or credential');
    return { urls: url };
  }
  if (!username || credential === undefined || credential === '') {
    throw new BadIceServerError(spec, `a ${scheme}: server needs a username and credential: ${url},USER,CREDENTIAL`);
  }
  return { urls: url, username, credential };
}

/** Parses several specs (e.g. repeated flags); the first bad one throws. */
export function parseIceServers(specs: readonly string[]): RTCIceServer[] {
  return specs.map(parseIceServer);
}
