/**
 * Seeded garbage against every endpoint: any mix of fields, types and nesting must get a 200 or
 * an etcd-style 4xx, never a 500 and never a broken connection. (About a quarter of these
 * requests are valid enough to succeed, so the success paths are fuzzed too.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@meshraft/core';
import { startGateway, type GatewayServer } from './__tests__/gateway-server.js';

const FIELDS = [
  'key', 'value', 'range_end', 'rangeEnd', 'limit', 'revision', 'prev_kv', 'keys_only', 'count_only',
  'sort_order', 'sort_target', 'serializable', 'ignore_value', 'lease', 'compare', 'success', 'failure',
  'request_put', 'request_range', 'request_delete_range', 'request_txn', 'target', 'result', 'version',
  'create_revision', 'mod_revision', 'min_mod_revision', 'physical', '__proto__', 'constructor',
];
const STRINGS = ['', 'AA==', 'Zm9v', 'Zm9w', '!!', 'EQUAL', 'VALUE', 'MOD', 'DESCEND', '-1', '9007199254740993', '1e3', 'abc'];

function garbage(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 3 || r < 0.3) {
    const leaf = [null, true, false, 0, -1, 1.5, 7, 2 ** 60, STRINGS[Math.floor(rand() * STRINGS.length)]!];
    return leaf[Math.floor(rand() * leaf.length)];
  }
  if (r < 0.45) return Array.from({ length: Math.floor(rand() * 4) }, () => garbage(rand, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) o[FIELDS[Math.floor(rand() * FIELDS.length)]!] = garbage(rand, depth + 1);
  return o;
}

const PATHS = ['/v3/kv/compaction', '/v3/kv/put', '/v3/kv/range', '/v3/kv/deleterange', '/v3/kv/txn', '/v3/maintenance/status', '/v3/cluster/member/list'];

let gw: GatewayServer;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.close();
});

describe('gateway fuzz', () => {
  it.each([1, 2])('150 garbage requests get 200 or an etcd 4xx (--seed %i)', async (seed) => {
    const rand = seededRandom(seed);
    for (let i = 0; i < 150; i++) {
      const path = PATHS[Math.floor(rand() * PATHS.length)]!;
      const body = rand() < 0.1 ? JSON.stringify(garbage(rand, 0)).slice(0, -1) : JSON.stringify(garbage(rand, 0));
      const r = await gw.post(path, body);
      const shape =
        r.status === 200
          ? 'header' in r.json
          : typeof r.json.error === 'string' && r.json.error === r.json.message && typeof r.json.code === 'number';
      expect([seed, i, path, body, r.status < 500, shape]).toEqual([seed, i, path, body, true, true]);
    }
  });
});
