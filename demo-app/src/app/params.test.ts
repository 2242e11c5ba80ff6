import { describe, expect, it } from 'vitest';
import { DemoParamError } from './demo-errors.js';
import { clusterName, parseParams, randomRoomName, signalingUrl, withServerDefaults } from './params.js';

describe('parseParams', () => {
  it('has defaults and makes up a room when none is given', () => {
    const p = parseParams('', () => 0.5);
    expect(p).toMatchObject({ roomGiven: false, node: null, tickMs: 100, voters: 3, graceMs: 30_000, relay: false, fallbackMs: 5000, test: false, signal: null });
    expect(p.room).toMatch(/^[a-z]+-[a-z]+-\d\d$/);
    expect(randomRoomName(() => 0)).toBe('amber-otter-10');
  });

  it('reads every knob', () => {
    const id = 'c'.repeat(32);
    const p = parseParams(`?room=team-a&node=n1&tick=20&voters=5&grace=500&relay&fallback=100&test&signal=ws://h:1/signal&cluster=${id}&found`);
    expect(p).toEqual({ room: 'team-a', roomGiven: true, node: 'n1', tickMs: 20, voters: 5, graceMs: 500, relay: true, fallbackMs: 100, test: true, signal: 'ws://h:1/signal', iceServers: [], iceRelay: false, cluster: id, found: true });
    expect(parseParams('?room=r')).toMatchObject({ cluster: null, found: false });
    expect(() => parseParams('?cluster=xyz')).toThrow(/\?cluster: must be a cluster id/);
    expect(parseParams('?relay=0').relay).toBe(false);
  });

  it('takes the demo server\'s ICE defaults unless the URL names its own servers', () => {
    const defaults = { ice: ['turn:h:3478,u,p'], iceRelay: true };
    expect(parseParams(withServerDefaults('?room=r', defaults))).toMatchObject({
      room: 'r', iceServers: [{ urls: 'turn:h:3478', username: 'u', credential: 'p' }], iceRelay: true,
    });
    expect(parseParams(withServerDefaults('?ice=stun:x', defaults))).toMatchObject({ iceServers: [{ urls: 'stun:x' }], iceRelay: false });
    expect(withServerDefaults('', {})).toBe('');
    expect(() => parseParams(withServerDefaults('', { ice: ['turn:x'] }))).toThrow(/\?ice: bad ICE server/);
  });

  it('reads STUN/TURN servers (repeatable ?ice) and ?iceRelay', () => {
    const q = new URLSearchParams();
    q.append('ice', 'stun:10.0.0.1:3478');
    q.append('ice', 'turn:10.0.0.1:3478?transport=udp,ada,pw');
    q.append('iceRelay', '');
    expect(parseParams(`?${q}`)).toMatchObject({
      iceServers: [{ urls: 'stun:10.0.0.1:3478' }, { urls: 'turn:10.0.0.1:3478?transport=udp', username: 'ada', credential: 'pw' }],
      iceRelay: true,
    });
    expect(() => parseParams('?ice=turn:x')).toThrow(/\?ice: bad ICE server "turn:x": a turn: server needs a username and credential/);
    expect(() => parseParams('?ice=stun:x&iceRelay')).toThrow(/\?iceRelay: needs a TURN server/);
  });

  it.each([
    ['?room=a/b', 'room'],
    ['?room=' + 'x'.repeat(65), 'room'],
    ['?node=', 'node'],
    ['?tick=abc', 'tick'],
    ['?tick=0', 'tick'],
    ['?voters=4', 'voters'],
    ['?voters=11', 'voters'],
    ['?grace=1.5', 'grace'],
    ['?relay=maybe', 'relay'],
    ['?signal=http://x', 'signal'],
    ['?ice=http://x', 'ice'],
  ])('%s is refused with a DemoParamError naming %s', (search, param) => {
    let err: unknown;
    try {
      parseParams(search);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DemoParamError);
    expect(err).toMatchObject({ code: 'DEMO_BAD_PARAM', param });
  });

  it('derives the cluster name and the signaling URL', () => {
    const p = parseParams('?room=r');
    expect(clusterName('r')).toBe('board.r');
    expect(signalingUrl(p, { protocol: 'http:', host: 'localhost:8787' })).toBe('ws://localhost:8787/signal');
    expect(signalingUrl(p, { protocol: 'https:', host: 'example.org' })).toBe('wss://example.org/signal');
    expect(signalingUrl(parseParams('?signal=ws://o/s'), { protocol: 'http:', host: 'x' })).toBe('ws://o/s');
  });
});
