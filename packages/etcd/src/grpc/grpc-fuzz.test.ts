/**
 * Malformed gRPC against the client port, with a raw HTTP/2 client: seeded random protobuf bytes
 * to every method, truncated frames, frames over the size limit, and bytes that are neither
 * HTTP/2 nor HTTP/1. Each call ends with a gRPC status (never a crash or a hang; a Watch whose bytes
 * decode stays open until the client closes it, as etcd's does) and the server keeps answering a
 * real client afterwards.
 */
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { call, STILL_OPEN, stillServes } from './__tests__/grpc-call.js';

const MAX_REQUEST = 64 * 1024;
let server: EtcdServer;
beforeAll(async () => {
  server = await serveEtcd(createLocalKvClient(), { host: '127.0.0.1', port: 0, maxRequestBytes: MAX_REQUEST });
});
afterAll(async () => {
  await server.close();
});

const METHODS = [
  '/etcdserverpb.KV/Range', '/etcdserverpb.KV/Put', '/etcdserverpb.KV/DeleteRange', '/etcdserverpb.KV/Txn', '/etcdserverpb.KV/Compact',
  '/etcdserverpb.Cluster/MemberList', '/etcdserverpb.Cluster/MemberAdd', '/etcdserverpb.Cluster/MemberRemove', '/etcdserverpb.Cluster/MemberPromote',
  '/etcdserverpb.Maintenance/Status', '/etcdserverpb.Maintenance/HashKV', '/etcdserverpb.Maintenance/Alarm', '/etcdserverpb.Maintenance/MoveLeader',
  '/etcdserverpb.Maintenance/Snapshot', '/etcdserverpb.Watch/Watch', '/etcdserverpb.Lease/LeaseGrant', '/etcdserverpb.Nope/Nothing',
];

/** A gRPC length-prefixed message with `declared` as its length (default: the real one). */
function frame(body: Uint8Array, declared = body.length): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(declared, 1);
  return Buffer.concat([h, body]);
}

describe('gRPC fuzz', () => {
  it.each([1, 2, 3])('random protobuf bytes to every method get a gRPC status (--seed %i)', async (seed) => {
    const rand = seededRandom(seed);
    const session = h2connect(server.url);
    try {
      for (let i = 0; i < 120; i++) {
        const path = METHODS[Math.floor(rand() * METHODS.length)]!;
        const body = new Uint8Array(Math.floor(rand() * 64));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
        // A Watch whose bytes decode keeps its stream open after the half-close, as etcd's does.
        const watch = path === '/etcdserverpb.Watch/Watch';
        const status = await call(session, path, frame(body), {}, watch ? 300 : undefined);
        const answered = Number.isInteger(status) && status >= 0 && status <= 16;
        expect([seed, i, path, answered || (watch && status === STILL_OPEN)]).toEqual([seed, i, path, true]);
      }
    } finally {
      session.close();
    }
    await stillServes(server.url);
  });

  it('a frame over the size limit gets RESOURCE_EXHAUSTED; a large Put under it gets etcd "request is too large"', async () => {
    const session = h2connect(server.url);
    try {
      expect(await call(session, '/etcdserverpb.KV/Put', frame(new Uint8Array(16), 10 * 1024 * 1024))).toBe(8);
      // PutRequest { key: "k" (field 1), value: 100 KiB (field 2) }: over --max-request-bytes, under gRPC's limit.
      const value = Buffer.alloc(MAX_REQUEST + 1024, 0x61);
      const len = value.length;
      const varint = Buffer.from([0x80 | (len & 0x7f), 0x80 | ((len >> 7) & 0x7f), len >> 14]);
      const put = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12]), varint, value]);
      expect(await call(session, '/etcdserverpb.KV/Put', frame(put))).toBe(3);
      // A frame that declares more than it sends, then the stream ends.
      expect(await call(session, '/etcdserverpb.KV/Range', frame(new Uint8Array([0x0a, 0x01]), 100))).toBeGreaterThan(0);
    } finally {
      session.close();
    }
    await stillServes(server.url);
  });

  it('bytes that are neither HTTP/2 nor HTTP/1 close that connection only', async () => {
    for (const junk of [Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n garbage'), Buffer.from([0, 1, 2, 3, 255, 254]), Buffer.alloc(100_000, 0x50)]) {
      await new Promise<void>((resolve) => {
        const s = netConnect(server.port, '127.0.0.1', () => s.end(junk));
        s.on('data', () => {});
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.setTimeout(10_000, () => s.destroy());
      });
    }
    await stillServes(server.url);
  });
});
