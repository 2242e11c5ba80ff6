/**
 * Seeded garbage against every endpoint: any mix of fields, types and nesting must get a 200 or
 * an etcd-style 4xx, never a 500 and never a broken connection. (About a quarter of these
 * requests are valid enough to succeed, so the success paths are fuzzed too.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { garbageMaker } from './__tests__/fuzz-garbage.js';
import { startGateway, type GatewayServer } from './__tests__/gateway-server.js';

const FIELDS = [
  'key', 'value', 'range_end', 'rangeEnd', 'limit', 'revision', 'prev_kv', 'keys_only', 'count_only',
  'sort_order', 'sort_target', 'serializable', 'ignore_value', 'lease', 'compare', 'success', 'failure',
  'request_put', 'request_range', 'request_delete_range', 'request_txn', 'target', 'result', 'version',
  'create_revision', 'mod_revision', 'min_mod_revision', 'physical', '__proto__', 'constructor',
  'ID', 'TTL', 'keys',
];
const STRINGS = ['', 'AA==', 'Zm9v', 'Zm9w', '!!', 'EQUAL', 'VALUE', 'MOD', 'DESCEND', '-1', '9007199254740993', '1e3', 'abc'];

const garbage = garbageMaker(FIELDS, STRINGS);

const PATHS = ['/v3/kv/compaction', '/v3/kv/put', '/v3/kv/range', '/v3/kv/deleterange', '/v3/kv/txn', '/v3/maintenance/status', '/v3/cluster/member/list'];

const LEASE_PATHS = ['/v3/lease/grant', '/v3/lease/revoke', '/v3/kv/lease/revoke', '/v3/lease/timetolive', '/v3/kv/lease/timetolive', '/v3/lease/leases', '/v3/kv/lease/leases'];

let gw: GatewayServer;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.close();
});

/** 150 seeded garbage requests to `paths`: each gets 200 or an etcd 4xx; returns how many got 200. */
async function fuzz(seed: number, paths: readonly string[]): Promise<number> {
  const rand = seededRandom(seed);
  let served = 0;
  for (let i = 0; i < 150; i++) {
    const path = paths[Math.floor(rand() * paths.length)]!;
    const body = rand() < 0.1 ? JSON.stringify(garbage(rand, 0)).slice(0, -1) : JSON.stringify(garbage(rand, 0));
    const r = await gw.post(path, body);
    const shape =
      r.status === 200
        ? 'header' in r.json
        : typeof r.json.error === 'string' && r.json.error === r.json.message && typeof r.json.code === 'number';
    expect([seed, i, path, body, r.status < 500, shape]).toEqual([seed, i, path, body, true, true]);
    if (r.status === 200) served++;
  }
  return served;
}

describe('gateway fuzz', () => {
  it.each([1, 2])('150 garbage requests get 200 or an etcd 4xx (--seed %i)', async (seed) => {
    await fuzz(seed, PATHS);
  });

  it.each([3, 4])('lease endpoints: 150 garbage requests get 200 or an etcd 4xx (--seed %i)', async (seed) => {
    // The endpoints exist: many garbage bodies are still valid requests (all fields optional).
    expect(await fuzz(seed, LEASE_PATHS)).toBeGreaterThan(30);
  });

  // etcd answers a keepalive request it cannot decode with Unknown (500) before the stream starts,
  // and ends the stream at one after answers went out; anything else is one result line each.
  it('keepalive: 100 garbage streams get result lines or etcd\'s stream error', async () => {
    const rand = seededRandom(5);
    for (let i = 0; i < 100; i++) {
      const n = 1 + Math.floor(rand() * 3);
      const body = Array.from({ length: n }, () => JSON.stringify(garbage(rand, 0))).join(rand() < 0.5 ? '' : '\n');
      const res = await fetch(`${gw.url}/v3/lease/keepalive`, { method: 'POST', body });
      const text = await res.text();
      const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      const shape =
        res.status === 200
          ? lines.length <= n && lines.every((l) => typeof l.result === 'object')
          : res.status === 500 && lines.length === 1 && lines[0]!.code === 2 && typeof lines[0]!.error === 'string';
      expect([i, body, shape]).toEqual([i, body, true]);
    }
  });
});
