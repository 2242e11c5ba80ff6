import { describe, expect, it } from 'vitest';
import { parseIceServer, parseIceServers } from './ice-servers.js';

describe('parseIceServer', () => {
  it('accepts stun:, turn: and turns: URLs with the credentials TURN needs', () => {
    expect(parseIceServer('stun:stun.example.org')).toEqual({ urls: 'stun:stun.example.org' });
    expect(parseIceServer('stun:10.0.0.1:3478')).toEqual({ urls: 'stun:10.0.0.1:3478' });
    expect(parseIceServer('turn:[::1]:3478?transport=tcp,alice,s3cr,et')).toEqual({
      urls: 'turn:[::1]:3478?transport=tcp', username: 'alice', credential: 's3cr,et',
    });
    expect(parseIceServer('turns:turn.example.org:5349,u,p')).toEqual({ urls: 'turns:turn.example.org:5349', username: 'u', credential: 'p' });
    expect(parseIceServers(['stun:a', 'turn:b,u,p'])).toHaveLength(2);
  });

  it.each([
    ['http://turn.example.org', /scheme "http:" is not stun:, turn: or turns:/],
    ['turn.example.org:3478', /expected stun:HOST/],
    ['turn:', /expected stun:HOST/],
    ['turn:host:99999,u,p', /port 99999 is not in 1-65535/],
    ['turn:host:0,u,p', /port 0/],
    ['turn:host', /needs a username and credential/],
    ['turn:host,alice', /needs a username and credential/],
    ['turn:host,alice,', /needs a username and credential/],
    ['turn:host?transport=sctp,u,p', /expected/],
    ['turns:host?transport=udp,u,p', /transport=udp is not possible/],
    ['stun:host,u,p', /takes no username/],
    ['', /expected/],
  ])('rejects %j with BAD_ICE_SERVER', (spec, message) => {
    expect(() => parseIceServer(spec)).toThrow(expect.objectContaining({ code: 'BAD_ICE_SERVER', message: expect.stringMatching(message) }));
  });
});
