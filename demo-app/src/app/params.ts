/**
 * @module params
 * The page's URL parameters, parsed and checked once at start. Timing knobs exist so tests can
 * run clusters fast (`?tick=20`); every bad value is a DemoParamError shown on the page.
 */
import { parseIceServer } from '@meshraft/transport/webrtc';
import { DemoParamError } from './demo-errors.js';

export interface DemoParams {
  /** Board / signaling room name. */
  readonly room: string;
  /** False when the URL had no room and one was made up (the page then writes it into the URL). */
  readonly roomGiven: boolean;
  /** `?node=NAME`: a fixed storage name for this tab (tests); otherwise a free storage slot is picked. */
  readonly node: string | null;
  /** `?tick=MS`: Raft tick (election timeout is 10–20 ticks). Default 100. */
  readonly tickMs: number;
  /** `?voters=N`: voters the cluster grows to (odd). Default 3. */
  readonly voters: number;
  /** `?grace=MS`: a silent voter is replaced by a caught-up tab after this long. Default 30 000. */
  readonly graceMs: number;
  /** `?relay`: never use WebRTC, every frame through the signaling server's relay. */
  readonly relay: boolean;
  /** `?fallback=MS`: use the relay for a peer whose data channel has not opened by then. Default 5000. */
  readonly fallbackMs: number;
  /** `?test`: expose `window.meshraft` for automation. */
  readonly test: boolean;
  /** `?signal=URL`: signaling server (default: `/signal` on this page's host). */
  readonly signal: string | null;
  /** `?ice=URL[,user,credential]` (repeatable): STUN/TURN servers for WebRTC. Default none. */
  readonly iceServers: readonly RTCIceServer[];
  /** `?iceRelay`: gather TURN candidates only (iceTransportPolicy 'relay'). */
  readonly iceRelay: boolean;
  /** `?cluster=ID`: the room's cluster id (the shared link carries it): a fresh tab joins only that one. */
  readonly cluster: string | null;
  /** `?found`: this tab founds a new board (the "New board" button); never implicit. */
  readonly found: boolean;
}

const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;
const NODE_RE = /^[A-Za-z0-9._-]{1,64}$/;

const ADJECTIVES = ['amber', 'brisk', 'calm', 'dusty', 'eager', 'fuzzy', 'gentle', 'hazel', 'ivory', 'jolly', 'keen', 'lucid'];
const NOUNS = ['otter', 'falcon', 'maple', 'harbor', 'comet', 'willow', 'badger', 'meadow', 'pebble', 'lantern', 'fjord', 'heron'];

/** A readable random room name such as `calm-otter-42`. */
export function randomRoomName(random: () => number = Math.random): string {
  const pick = (list: readonly string[]): string => list[Math.floor(random() * list.length)] ?? list[0]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(random() * 90) + 10}`;
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DemoParamError(name, `must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

function flag(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null) return false;
  if (raw === '' || raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new DemoParamError(name, `is a flag (no value, 1/0 or true/false), got "${raw}"`);
}

/** Defaults from the demo server (`GET /config.json`, from `pnpm demo --ice-server/--ice-relay`). */
export interface ServerDefaults {
  readonly ice?: readonly string[];
  readonly iceRelay?: boolean;
}

/**
 * `search` with the server's ICE defaults added where the URL sets none, so they are checked
 * like the page's own parameters. A URL with any `ice` keeps its own servers.
 */
export function withServerDefaults(search: string, defaults: ServerDefaults): string {
  const q = new URLSearchParams(search);
  if (!q.has('ice')) {
    for (const spec of defaults.ice ?? []) q.append('ice', spec);
    if (defaults.iceRelay === true && !q.has('iceRelay')) q.set('iceRelay', '1');
  }
  const out = q.toString();
  return out ? `?${out}` : '';
}

/** Parses `location.search`; throws DemoParamError for a value it cannot use. */
export function parseParams(search: string, random: () => number = Math.random): DemoParams {
  const q = new URLSearchParams(search);
  const roomRaw = q.get('room');
  if (roomRaw !== null && roomRaw !== '' && !ROOM_RE.test(roomRaw)) {
    throw new DemoParamError('room', 'use 1-64 letters, digits, ".", "_" or "-"');
  }
  const node = q.get('node');
  if (node !== null && !NODE_RE.test(node)) throw new DemoParamError('node', 'use 1-64 letters, digits, ".", "_" or "-"');
  const voters = intParam(q, 'voters', 3, 1, 9);
  if (voters % 2 === 0) throw new DemoParamError('voters', `must be odd, got ${voters}`);
  const signal = q.get('signal');
  if (signal !== null && !/^wss?:\/\/[^/]/.test(signal)) throw new DemoParamError('signal', 'must be a ws:// or wss:// URL');
  const iceServers = q.getAll('ice').map((spec) => {
    try {
      return parseIceServer(spec);
    } catch (err) {
      throw new DemoParamError('ice', (err as Error).message);
    }
  });
  const iceRelay = flag(q, 'iceRelay');
  if (iceRelay && !iceServers.some((x) => /^turns?:/.test(String(x.urls)))) {
    throw new DemoParamError('iceRelay', 'needs a TURN server: add ice=turn:HOST:PORT,USER,CREDENTIAL');
  }
  const cluster = q.get('cluster');
  if (cluster !== null && !/^[0-9a-f]{32}$/.test(cluster)) throw new DemoParamError('cluster', 'must be a cluster id: 32 hex digits, as in a shared link');
  return {
    cluster,
    found: flag(q, 'found'),
    room: roomRaw ? roomRaw : randomRoomName(random),
    roomGiven: Boolean(roomRaw),
    node,
    tickMs: intParam(q, 'tick', 100, 5, 1000),
    voters,
    graceMs: intParam(q, 'grace', 30_000, 100, 3_600_000),
    relay: flag(q, 'relay'),
    fallbackMs: intParam(q, 'fallback', 5000, 50, 120_000),
    test: flag(q, 'test'),
    signal,
    iceServers,
    iceRelay,
  };
}

/** The cluster (and signaling room) name of a board room; `meshraft peer --cluster` takes the same. */
export function clusterName(room: string): string {
  return `board.${room}`;
}

/** Default signaling URL: `/signal` on the host that served the page. */
export function signalingUrl(params: DemoParams, location: { protocol: string; host: string }): string {
  if (params.signal) return params.signal;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
}
