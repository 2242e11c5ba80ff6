/**
 * --max-request-bytes is checked on the request's encoded size as it arrived (what etcd limits),
 * not on an estimate of its fields: a Put of exactly the limit is served, one byte more is
 * refused with etcd's error and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { etcdServices } from './proto.js';
import { serviceCaller, type ServiceCaller } from './__tests__/service-caller.js';

const LIMIT = 1000;
let server: EtcdServer;
let kv: ServiceCaller;
beforeAll(async () => {
  server = await serveEtcd(createLocalKvClient(), { host: '127.0.0.1', port: 0, maxRequestBytes: LIMIT });
  kv = serviceCaller('KV', server.url.replace('http://', ''));
});
afterAll(async () => {
  kv.close();
  await server.close();
});

/** A PutRequest for key `k` whose protobuf encoding is exactly `bytes` long. */
function putOfSize(bytes: number): { key: Buffer; value: Buffer } {
  for (let n = bytes; n > 0; n--) {
    const req = { key: Buffer.from('k'), value: Buffer.alloc(n, 1) };
    if (etcdServices().KV.Put!.requestSerialize(req).length === bytes) return req;
  }
  throw new Error(`no Put encodes to ${bytes} bytes`);
}

describe('the request size limit', () => {
  it('serves a Put of exactly --max-request-bytes and refuses one byte more', async () => {
    const fits = putOfSize(LIMIT);
    await expect(kv.call('Put', fits)).resolves.toMatchObject({ header: expect.any(Object) });
    await expect(kv.call('Put', putOfSize(LIMIT + 1))).rejects.toThrow(/etcdserver: request is too large/);
    const got = await kv.call('Range', { key: Buffer.from('k') });
    expect((got.kvs as { value: Buffer }[])[0]!.value.length).toBe(fits.value.length);
  });
});
