/**
 * Seeded garbage against the routes served by gRPC handlers (lock, election, auth), and against
 * the KV and lease routes sent with an `Authorization` header (so they take the same path): every
 * answer is a 200 or an etcd-style error with the status of its code, never a crash, an internal
 * error text or a broken server. Lock and campaign may legitimately wait: each request is given
 * up after 300 ms, which also exercises cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { garbageMaker } from './__tests__/fuzz-garbage.js';
import { createLocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { ELECTION_ROUTES } from './etcd-election.js';
import { AUTH_ROUTES } from './etcd-auth.js';
import { LOCK_ROUTES } from './etcd-lock.js';

const FIELDS = ['name', 'key', 'value', 'lease', 'leader', 'rev', 'password', 'user', 'role', 'perm', 'permType', 'range_end', 'rangeEnd', 'options', 'no_password', 'ID', 'TTL', 'revision', 'compare', 'success', 'request_put', '__proto__'];
const STRINGS = ['', 'AA==', 'Zm9v', '!!', 'root', 'READWRITE', 'BAD', '-1', '18446744073709551616', '99999999999999999999', '1e3'];

const garbage = garbageMaker(FIELDS, STRINGS);

/** A request body: mostly an object of random fields (a few non-objects, as in the KV fuzz). */
function request(rand: () => number): unknown {
  if (rand() < 0.1) return garbage(rand, 0);
  const o: Record<string, unknown> = {};
  for (let i = 1 + Math.floor(rand() * 4); i > 0; i--) o[FIELDS[Math.floor(rand() * FIELDS.length)]!] = garbage(rand, 1);
  return o;
}

const STATUS: Record<number, number> = { 1: 408, 2: 500, 3: 400, 5: 404, 7: 403, 9: 412, 11: 400, 12: 501, 14: 503, 16: 401 };
/** Messages a 500 may carry: etcd's and its recipes' own, never a JavaScript error. */
const KNOWN_500 = /^(etcdserver: |election: |mutex: |"leader" field must be provided|context canceled)/;

let server: EtcdServer;
beforeAll(async () => {
  server = await serveEtcd(createLocalKvClient({ clusterId: 'c', memberId: 'm1' }), { host: '127.0.0.1', port: 0 });
});
afterAll(() => server.close());

const ROUTES = [...Object.keys(LOCK_ROUTES), ...Object.keys(ELECTION_ROUTES), ...Object.keys(AUTH_ROUTES)].filter((p) => p !== '/v3/auth/enable');
const WITH_TOKEN = ['/v3/kv/put', '/v3/kv/range', '/v3/kv/deleterange', '/v3/kv/txn', '/v3/kv/compaction', '/v3/lease/grant', '/v3/lease/revoke', '/v3/lease/timetolive', '/v3/watch'];

describe('gateway routes over the gRPC handlers, fuzzed', () => {
  it.each([1, 2, 3])('each answer is a status with an etcd-style body (--seed %i)', async (seed) => {
    const rand = seededRandom(seed);
    for (let i = 0; i < 150; i++) {
      const withToken = rand() < 0.3;
      const list = withToken ? WITH_TOKEN : ROUTES;
      const path = list[Math.floor(rand() * list.length)]!;
      const body = rand() < 0.1 ? '{"name":' : JSON.stringify(request(rand));
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 300);
      const what = `${path} ${body}`;
      try {
        const r = await fetch(server.url + path, { method: 'POST', body, signal: ac.signal, ...(withToken && { headers: { authorization: 'x.1' } }) });
        // Streams (observe, watch) send lines; the first is enough.
        const text = (await r.text().catch(() => '')).split('\n')[0] ?? '';
        if (r.status === 200) continue;
        const e = JSON.parse(text) as { error: string; code: number; message: string };
        expect([what, r.status]).toEqual([what, STATUS[e.code]]);
        expect([what, e.error]).toEqual([what, e.message]);
        if (r.status === 500) expect([what, KNOWN_500.test(e.message)]).toEqual([what, true]);
      } catch (err) {
        // Given up while waiting (a lock or campaign queued, a stream open): legitimate.
        if (!(err instanceof Error && err.name === 'AbortError')) throw err;
      } finally {
        clearTimeout(timer);
      }
    }
    const ok = await fetch(`${server.url}/v3/kv/range`, { method: 'POST', body: '{"key":"Zm9v"}' });
    expect(ok.status).toBe(200);
  });
});
