import { describe, expect, it } from 'vitest';
import { DemoUsageError, parseDemoArgs } from './demo-args.js';

describe('parseDemoArgs', () => {
  it('defaults to port 8787 on loopback, no peer', () => {
    expect(parseDemoArgs([])).toEqual({
      port: 8787, host: '127.0.0.1', peer: false, bootstrap: false, room: null, peerData: null, peerTick: 100, data: null, rebuild: false, buildOnly: false, help: false,
      iceServers: [], iceRelay: false,
    });
  });

  it('reads every flag (and tolerates the "--" pnpm may pass through)', () => {
    expect(parseDemoArgs(['--', '--port', '0', '--host', '0.0.0.0', '--peer', '--bootstrap', '--room', 'team', '--peer-data', '/tmp/p', '--peer-tick', '25', '--data', '/tmp/rooms', '--rebuild'])).toMatchObject({
      port: 0, host: '0.0.0.0', peer: true, bootstrap: true, room: 'team', peerData: '/tmp/p', peerTick: 25, data: '/tmp/rooms', rebuild: true,
    });
  });

  it('takes repeatable --ice-server specs (checked) and --ice-relay', () => {
    expect(parseDemoArgs(['--ice-server', 'stun:s', '--ice-server', 'turn:t:3478,u,p', '--ice-relay'])).toMatchObject({
      iceServers: ['stun:s', 'turn:t:3478,u,p'], iceRelay: true,
    });
    expect(() => parseDemoArgs(['--ice-server', 'turn:t'])).toThrow(/--ice-server: bad ICE server "turn:t": a turn: server needs a username/);
    expect(() => parseDemoArgs(['--ice-relay'])).toThrow(/--ice-relay needs a TURN server/);
  });

  it.each([['--port', 'x'], ['--port', '70000'], ['--room', 'a b'], ['--peer-tick', '0'], ['--nope'], ['--peer-data', ''], ['--data', ''], ['--bootstrap']])('refuses %s %s', (...args) => {
    expect(() => parseDemoArgs(args)).toThrow(DemoUsageError);
  });
});
