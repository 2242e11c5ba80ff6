/**
 * The `:authority` rewrite in front of a live etcd server: a request with etcdctl 3.4's
 * `passthrough:///http://…` authority is answered (nghttp2 reset it before), and seeded malformed
 * client frames each end their connection with a GOAWAY while the server keeps serving.
 */
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { call, stillServes } from './__tests__/grpc-call.js';
import { clientEncoder, h2frame, PREFACE } from './__tests__/h2-frames.js';

let server: EtcdServer;
beforeAll(async () => {
  server = await serveEtcd(createLocalKvClient(), { host: '127.0.0.1', port: 0, maxRequestBytes: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
});

/** Maintenance/Status with the given :authority over Node's HTTP/2 client: its grpc-status, or the stream's reset. */
async function status(authority: string): Promise<string> {
  const session = h2connect(server.url);
  try {
    return `grpc-status ${await call(session, '/etcdserverpb.Maintenance/Status', Buffer.alloc(5), { ':authority': authority })}`;
  } catch (e) {
    return String(e).replace(/.*no grpc-status \((.*)\)/, '$1');
  } finally {
    session.close();
  }
}

/** Sends `bytes` after the preface on a raw socket; resolves with the GOAWAY error code seen before the close. */
function goawayFor(bytes: Buffer): Promise<number | 'closed without GOAWAY'> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const socket = netConnect(Number(url.port), url.hostname);
    let got = Buffer.alloc(0);
    let code: number | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server neither sent GOAWAY nor closed within 10 s'));
    }, 10_000);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      for (let at = 0; at + 9 <= got.length; ) {
        const len = got.readUIntBE(at, 3);
        if (at + 9 + len > got.length) break;
        if (got[at + 3] === 0x7) code = got.readUInt32BE(at + 9 + 4);
        at += 9 + len;
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(code ?? 'closed without GOAWAY');
    });
    socket.write(Buffer.concat([PREFACE, h2frame(0x4, 0, 0, Buffer.alloc(0)), bytes]));
  });
}

describe('etcdctl 3.4 :authority against a live server', () => {
  it('answers a request whose :authority is passthrough:///http://HOST:PORT', async () => {
    expect(await status('passthrough:///http://127.0.0.1:2379')).toBe('grpc-status 0');
    expect(await status('127.0.0.1:2379')).toBe('grpc-status 0');
  });

  it('rewrites only connections that need it: a clean :authority is read natively by HTTP/2', async () => {
    const before = { ...server.h2Connections };
    expect(await status('127.0.0.1:2379')).toBe('grpc-status 0');
    expect(server.h2Connections).toEqual({ native: before.native + 1, rewritten: before.rewritten });
    expect(await status('passthrough:///http://127.0.0.1:2379')).toBe('grpc-status 0');
    expect(server.h2Connections).toEqual({ native: before.native + 1, rewritten: before.rewritten + 1 });
  });

  it('takes the rewriting path for a client that sends no request within the probe, and still answers it', async () => {
    const before = { ...server.h2Connections };
    const url = new URL(server.url);
    const socket = netConnect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.write(Buffer.concat([PREFACE, h2frame(0x4, 0, 0, Buffer.alloc(0))]));
    // The server's SETTINGS arrive once the probe gave up: a client waiting for them (grpc-go) is served.
    const first = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    expect(first[3]).toBe(0x4);
    expect(server.h2Connections).toEqual({ native: before.native, rewritten: before.rewritten + 1 });
    socket.destroy();
  });

  it('closes each connection with a GOAWAY for malformed header frames, and goes on serving', async () => {
    const good = clientEncoder()([
      { name: ':method', value: 'POST' },
      { name: ':path', value: '/etcdserverpb.Maintenance/Status' },
      { name: ':authority', value: 'passthrough:///http://h:1' },
    ]);
    const cases: Array<[string, Buffer, number]> = [
      ['CONTINUATION first', h2frame(0x9, 0x4, 1, good), 0x1],
      ['interrupted block', Buffer.concat([h2frame(0x1, 0, 1, good), h2frame(0x0, 0, 1, Buffer.alloc(3))]), 0x1],
      ['bad padding', h2frame(0x1, 0x4 | 0x8, 1, Buffer.from([250, 1])), 0x1],
      ['bad HPACK', h2frame(0x1, 0x4, 1, Buffer.from([0xff, 0x7f])), 0x9],
      ['oversized HEADERS', h2frame(0x1, 0x4, 1, Buffer.alloc(20_000)), 0x6],
    ];
    for (const [name, bytes, code] of cases) expect([name, await goawayFor(bytes)]).toEqual([name, code]);

    // Seeded random header frames (any flags, bytes, stream), each followed by a CONTINUATION on
    // stream 0, which no valid sequence allows: every connection must end with a GOAWAY.
    const random = seededRandom(1414);
    const bad = h2frame(0x9, 0x4, 0, Buffer.alloc(0));
    for (let i = 0; i < 60; i++) {
      const body = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      const frame = h2frame(random() < 0.7 ? 0x1 : 0x9, Math.floor(random() * 256), 1 + 2 * Math.floor(random() * 4), body);
      expect([i, typeof (await goawayFor(Buffer.concat([frame, bad])))]).toEqual([i, 'number']);
    }

    await stillServes(server.url);
  }, 180_000);
});
