/**
 * @module peer-url
 * A meshraft member's derived peer URL, `http://NODE-ID.meshraft.invalid:2380`: the one it lists
 * until MemberUpdate records others. Members reach each other through signaling, not at a URL;
 * `.invalid` (RFC 2606) says so, and the form is one etcdctl accepts (http, host:port, no path).
 * Ids that are not DNS labels are hex-encoded behind `x--`.
 */
import { badRequest } from './etcd-errors.js';

export const PEER_HOST = '.meshraft.invalid:2380';
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function peerUrl(id: string): string {
  const label = LABEL.test(id) && !id.startsWith('x--') ? id : `x--${Buffer.from(id).toString('hex')}`;
  return `http://${label}${PEER_HOST}`;
}

/** The node a derived peer URL names (MemberAdd takes only those); InvalidArgument otherwise. */
export function nodeIdOfPeerUrl(url: string): string {
  const m = /^http:\/\/([a-z0-9-]+)\.meshraft\.invalid:2380\/?$/.exec(url);
  if (!m) throw badRequest(`etcdserver: meshraft peer URLs are http://NODE-ID${PEER_HOST}, got "${url}"`);
  return m[1]!.startsWith('x--') ? Buffer.from(m[1]!.slice(3), 'hex').toString() : m[1]!;
}

/**
 * etcd's rules for a member URL (types.NewURLs): http or https with host:port and no path, or
 * unix/unixs. etcd 3.5 refuses others in MemberUpdate with "given member URLs are invalid"
 * (3.4 takes them and fails later); meshraft does as 3.5.
 */
export function isMemberUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'unix:' || u.protocol === 'unixs:') return true;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  // URL drops a default port (http://h:80 has port ''), so look for one in the text itself.
  const hostPort = /^[a-z]+:\/\/([^/?#]*)\/?$/i.exec(url)?.[1] ?? '';
  return /:\d+$/.test(hostPort) && u.hostname !== '' && u.search === '' && u.hash === '';
}
