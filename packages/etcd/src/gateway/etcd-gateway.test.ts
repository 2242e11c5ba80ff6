import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { b64, startGateway, unb64, type GatewayServer } from './__tests__/gateway-server.js';
import { toEtcdId } from '../member-id.js';
import type { MetricsSource } from '../metrics.js';
import type { KvClient } from '../kv-client.js';
import { MeshraftError } from '@meshraft/core';

let gw: GatewayServer;
afterEach(async () => {
  await gw?.close();
});

type J = Record<string, any>;
const MEMBER = toEtcdId('node-a');
const header = (revision: string) => ({ cluster_id: '12585971608760269493', member_id: MEMBER, revision, raft_term: '3' });

async function ok(path: string, body?: unknown): Promise<J> {
  const r = await gw.post(path, body);
  expect([path, r.status, r.json]).toEqual([path, 200, expect.anything()]);
  return r.json;
}

async function putAll(...keys: string[]): Promise<void> {
  for (const k of keys) await ok('/v3/kv/put', { key: b64(k), value: b64(`v-${k}`) });
}

describe('kv/put and kv/range (etcd docs example)', () => {
  it('answers with etcd shapes: string int64s, base64 bytes, zero fields omitted', async () => {
    gw = await startGateway();
    expect(await ok('/v3/kv/put', { key: 'Zm9v', value: 'YmFy' })).toEqual({ header: header('2') });
    expect(await ok('/v3/kv/range', { key: 'Zm9v' })).toEqual({
      header: header('2'),
      kvs: [{ key: 'Zm9v', create_revision: '2', mod_revision: '2', version: '1', value: 'YmFy' }],
      count: '1',
    });
    // A miss has neither kvs nor count.
    expect(await ok('/v3/kv/range', { key: b64('nope') })).toEqual({ header: header('2') });
  });

  it('put: versions grow, prev_kv on request, ignore_value keeps the value', async () => {
    gw = await startGateway();
    await ok('/v3/kv/put', { key: b64('k'), value: b64('1') });
    const second = await ok('/v3/kv/put', { key: b64('k'), value: b64('2'), prev_kv: true });
    expect(second.prev_kv).toEqual({ key: b64('k'), create_revision: '2', mod_revision: '2', version: '1', value: b64('1') });
    await ok('/v3/kv/put', { key: b64('k'), ignore_value: true });
    const got = await ok('/v3/kv/range', { key: b64('k') });
    expect(got.kvs[0]).toMatchObject({ version: '3', mod_revision: '4', value: b64('2') });
  });

  it('range_end: [key, end), prefix, and \\0 for all keys >= key', async () => {
    gw = await startGateway();
    await putAll('a', 'foo', 'foo/1', 'foo/2', 'fop', 'z');
    const keys = (j: J) => (j.kvs ?? []).map((kv: J) => unb64(kv.key));
    expect(keys(await ok('/v3/kv/range', { key: b64('foo'), range_end: b64('fop') }))).toEqual(['foo', 'foo/1', 'foo/2']);
    expect(keys(await ok('/v3/kv/range', { key: b64('foo/'), range_end: b64('foo0') }))).toEqual(['foo/1', 'foo/2']);
    expect(keys(await ok('/v3/kv/range', { key: b64('fop'), range_end: 'AA==' }))).toEqual(['fop', 'z']);
    expect(keys(await ok('/v3/kv/range', { key: 'AA==', range_end: 'AA==' }))).toHaveLength(6);
  });

  it('limit/more, count_only, keys_only, sort', async () => {
    gw = await startGateway();
    await putAll('p/1', 'p/2', 'p/3');
    const limited = await ok('/v3/kv/range', { key: b64('p/'), range_end: b64('p0'), limit: '2' });
    expect(limited.kvs.map((kv: J) => unb64(kv.key))).toEqual(['p/1', 'p/2']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe('3');
    const all = await ok('/v3/kv/range', { key: b64('p/'), range_end: b64('p0'), limit: 3 });
    expect(all.more).toBeUndefined();
    expect(await ok('/v3/kv/range', { key: b64('p/'), range_end: b64('p0'), count_only: true })).toEqual({
      header: header('4'),
      count: '3',
    });
    const keysOnly = await ok('/v3/kv/range', { key: b64('p/1'), keys_only: true });
    expect(keysOnly.kvs).toEqual([{ key: b64('p/1'), create_revision: '2', mod_revision: '2', version: '1' }]);
    const desc = await ok('/v3/kv/range', { key: b64('p/'), range_end: b64('p0'), sort_order: 'DESCEND', sortTarget: 'MOD' });
    expect(desc.kvs.map((kv: J) => unb64(kv.key))).toEqual(['p/3', 'p/2', 'p/1']);
  });

  it('range at a revision: history is served until compacted, newer is future', async () => {
    gw = await startGateway();
    await putAll('a', 'b'); // a at 2, b at 3
    await ok('/v3/kv/put', { key: b64('a'), value: b64('new') }); // 4
    const at = async (revision: string) => (await ok('/v3/kv/range', { key: b64('a'), revision })).kvs?.map((kv: J) => unb64(kv.value));
    expect(await at('1')).toBeUndefined();
    expect(await at('3')).toEqual(['v-a']);
    expect(await at('4')).toEqual(['new']);
    await ok('/v3/kv/compaction', { revision: '3' });
    expect(await gw.post('/v3/kv/range', { key: b64('a'), revision: '2' })).toMatchObject({
      status: 400,
      json: { code: 11, error: 'etcdserver: mvcc: required revision has been compacted' },
    });
    expect(await at('3')).toEqual(['v-a']);
    expect(await gw.post('/v3/kv/range', { key: b64('a'), revision: '9' })).toMatchObject({
      status: 400,
      json: { code: 11, message: 'etcdserver: mvcc: required revision is a future revision' },
    });
  });
});

describe('kv/deleterange', () => {
  it('reports deleted and prev_kvs, and a delete of nothing omits deleted', async () => {
    gw = await startGateway();
    await putAll('d/1', 'd/2', 'e');
    const del = await ok('/v3/kv/deleterange', { key: b64('d/'), range_end: b64('d0'), prev_kv: true });
    expect(del).toEqual({
      header: header('5'),
      deleted: '2',
      prev_kvs: [
        { key: b64('d/1'), create_revision: '2', mod_revision: '2', version: '1', value: b64('v-d/1') },
        { key: b64('d/2'), create_revision: '3', mod_revision: '3', version: '1', value: b64('v-d/2') },
      ],
    });
    expect(await ok('/v3/kv/deleterange', { key: b64('d/1') })).toEqual({ header: header('5') });
    // Put again after delete: version starts over at the new revision.
    await ok('/v3/kv/put', { key: b64('d/1'), value: b64('again') });
    expect((await ok('/v3/kv/range', { key: b64('d/1') })).kvs[0]).toMatchObject({ create_revision: '6', version: '1' });
  });
});

describe('kv/txn', () => {
  async function txnSucceeds(compare: J): Promise<boolean> {
    return (await ok('/v3/kv/txn', { compare: [compare] })).succeeded === true;
  }

  it('compares VALUE, VERSION, CREATE, MOD with EQUAL, NOT_EQUAL, GREATER, LESS (names or numbers)', async () => {
    gw = await startGateway();
    await putAll('x'); // rev 2
    await ok('/v3/kv/put', { key: b64('x'), value: b64('m') }); // rev 3, version 2
    const key = b64('x');
    const cases: Array<[J, boolean]> = [
      [{ key, target: 'VALUE', result: 'EQUAL', value: b64('m') }, true],
      [{ key, target: 'VALUE', value: b64('m') }, true], // EQUAL is the zero value, so it may be left out
      [{ key, target: 3, result: 3, value: b64('m') }, false], // VALUE, NOT_EQUAL as numbers
      [{ key, target: 'VALUE', result: 'GREATER', value: b64('a') }, true],
      [{ key, target: 'VALUE', result: 'LESS', value: b64('a') }, false],
      [{ key, target: 'VERSION', result: 'EQUAL', version: '2' }, true],
      [{ key, result: 'GREATER', version: 1 }, true], // VERSION is the zero target
      [{ key, target: 'CREATE', result: 'EQUAL', create_revision: '2' }, true],
      [{ key, target: 'CREATE', result: 'LESS', create_revision: '2' }, false],
      [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '3' }, true],
      [{ key, target: 'MOD', result: 'NOT_EQUAL', modRevision: '3' }, false],
      [{ key: b64('missing'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }, true],
      [{ key: b64('missing'), target: 'VALUE', result: 'NOT_EQUAL', value: b64('m') }, false],
    ];
    for (const [compare, expected] of cases) expect([compare, await txnSucceeds(compare)]).toEqual([compare, expected]);
  });

  it('runs the chosen branch as one revision with nested response shapes', async () => {
    gw = await startGateway();
    await putAll('a', 'old');
    const txn = {
      compare: [{ key: b64('a'), target: 'VERSION', result: 'EQUAL', version: '1' }],
      success: [
        { request_put: { key: b64('a'), value: b64('2'), prev_kv: true } },
        { request_range: { key: b64('a') } },
        { request_delete_range: { key: b64('old') } },
      ],
      failure: [{ request_put: { key: b64('lost'), value: b64('1') } }],
    };
    const r = await ok('/v3/kv/txn', txn);
    expect(r).toEqual({
      header: header('4'),
      succeeded: true,
      responses: [
        {
          response_put: {
            header: { revision: '4' },
            prev_kv: { key: b64('a'), create_revision: '2', mod_revision: '2', version: '1', value: b64('v-a') },
          },
        },
        {
          response_range: {
            header: { revision: '4' },
            kvs: [{ key: b64('a'), create_revision: '2', mod_revision: '4', version: '2', value: b64('2') }],
            count: '1',
          },
        },
        { response_delete_range: { header: { revision: '4' }, deleted: '1' } },
      ],
    });
    const again = await ok('/v3/kv/txn', txn);
    expect(again.succeeded).toBeUndefined();
    expect(again.responses).toEqual([{ response_put: { header: { revision: '5' } } }]);
  });

  it('a txn CAS workload: concurrent increments lose no update', async () => {
    gw = await startGateway();
    const key = b64('counter');
    await ok('/v3/kv/put', { key, value: b64('0') });
    async function increment(): Promise<void> {
      for (;;) {
        const cur = (await ok('/v3/kv/range', { key })).kvs[0];
        const next = String(Number(unb64(cur.value)) + 1);
        const r = await ok('/v3/kv/txn', {
          compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: cur.mod_revision }],
          success: [{ request_put: { key, value: b64(next) } }],
        });
        if (r.succeeded) return;
      }
    }
    const workers = 5;
    const perWorker = 8;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < perWorker; i++) await increment();
      }),
    );
    const final = (await ok('/v3/kv/range', { key })).kvs[0];
    expect(unb64(final.value)).toBe(String(workers * perWorker));
    expect(final.version).toBe(String(workers * perWorker + 1));
    // A CAS against a stale mod_revision must fail and leave the value alone.
    const stale = await ok('/v3/kv/txn', {
      compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '2' }],
      success: [{ request_put: { key, value: b64('clobbered') } }],
      failure: [{ request_range: { key } }],
    });
    expect(stale.succeeded).toBeUndefined();
    expect(unb64(stale.responses[0].response_range.kvs[0].value)).toBe(String(workers * perWorker));
  });

  it('rejects duplicate keys and empty keys like etcd', async () => {
    gw = await startGateway();
    const dup = await gw.post('/v3/kv/txn', {
      success: [{ request_put: { key: b64('a'), value: '' } }, { request_put: { key: b64('a'), value: '' } }],
    });
    expect(dup).toMatchObject({
      status: 400,
      json: { code: 3, error: 'etcdserver: duplicate key given in txn request', message: 'etcdserver: duplicate key given in txn request' },
    });
    expect(await gw.post('/v3/kv/put', { value: b64('v') })).toMatchObject({
      status: 400,
      json: { code: 3, error: 'etcdserver: key is not provided' },
    });
    expect(await gw.post('/v3/kv/txn', { success: [{}] })).toMatchObject({ status: 400, json: { code: 3 } });
  });
});

describe('kv/compaction', () => {
  it('compacts history, refuses a revision already compacted and the future', async () => {
    gw = await startGateway();
    await putAll('a', 'b');
    expect(await ok('/v3/kv/compaction', { revision: '2', physical: true })).toEqual({ header: header('3') });
    expect(await ok('/v3/kv/compaction', { revision: '3' })).toEqual({ header: header('3') });
    expect(await gw.post('/v3/kv/compaction', { revision: '3' })).toMatchObject({
      status: 400,
      json: { code: 11, error: 'etcdserver: mvcc: required revision has been compacted' },
    });
    expect(await gw.post('/v3/kv/compaction', { revision: '4' })).toMatchObject({
      status: 400,
      json: { code: 11, error: 'etcdserver: mvcc: required revision is a future revision' },
    });
    expect(await gw.post('/v3/kv/compaction', { revision: 'x' })).toMatchObject({ status: 400, json: { code: 3 } });
  });
});

describe('maintenance/status and cluster/member/list', () => {
  it('status reports leader, indexes and the etcd version', async () => {
    gw = await startGateway({ etcdVersion: '3.5.17' });
    await putAll('a');
    const s = await ok('/v3/maintenance/status', {});
    expect(s).toMatchObject({
      header: header('2'),
      version: '3.5.17',
      leader: MEMBER,
      raftIndex: '1',
      raftTerm: '3',
      raftAppliedIndex: '1',
    });
    expect(Number(s.dbSize)).toBeGreaterThan(0);
    expect(s.isLearner).toBeUndefined();
  });

  it('member list names each member with a uint64 ID', async () => {
    gw = await startGateway();
    expect(await ok('/v3/cluster/member/list', {})).toEqual({
      header: header('1'),
      members: [{ ID: MEMBER, name: 'node-a' }],
    });
  });
});

describe('errors', () => {
  it('malformed JSON, bad base64 and wrong types are 400 with gRPC code 3', async () => {
    gw = await startGateway();
    for (const [path, body] of [
      ['/v3/kv/put', '{"key": '],
      ['/v3/kv/put', '[1,2]'],
      ['/v3/kv/put', { key: 'not base64!', value: '' }],
      ['/v3/kv/put', { key: 'Zm9vY', value: '' }],
      ['/v3/kv/put', { key: 5 }],
      ['/v3/kv/range', { key: b64('a'), limit: 'ten' }],
      ['/v3/kv/range', { key: b64('a'), limit: '-1' }],
      ['/v3/kv/range', { key: b64('a'), limit: 1.5 }],
      ['/v3/kv/range', { key: b64('a'), keys_only: 'yes' }],
      ['/v3/kv/range', { key: b64('a'), sort_order: 'SIDEWAYS' }],
      ['/v3/kv/txn', { compare: {} }],
      ['/v3/kv/txn', { compare: [{ key: b64('a'), result: 'ABOUT' }] }],
      ['/v3/kv/txn', { success: [{ request_put: {}, request_range: {} }] }],
      ['/v3/kv/deleterange', { key: [1] }],
    ] as const) {
      const r = await gw.post(path, body);
      expect([path, body, r.status, r.json.code, typeof r.json.error, r.json.error === r.json.message]).toEqual([
        path,
        body,
        400,
        3,
        'string',
        true,
      ]);
    }
    // The store was never touched.
    expect((await ok('/v3/maintenance/status')).header.revision).toBe('1');
  });

  it('unknown path → 404, wrong method → 405 with Allow', async () => {
    gw = await startGateway();
    const missing = await gw.post('/v3/kv/nope', {});
    expect(missing).toMatchObject({ status: 404, json: { code: 5, error: 'Not Found' } });
    const get = await fetch(`${gw.url}/v3/kv/put`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ code: 12 });
    const postMetrics = await gw.post('/metrics', {});
    expect(postMetrics.status).toBe(405);
    expect(postMetrics.headers.get('allow')).toBe('GET, HEAD');
  });

  it('bodies over the limit get 413, declared or streamed', async () => {
    gw = await startGateway({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ key: b64('k'), value: b64('x'.repeat(4096)) });
    expect(await gw.post('/v3/kv/put', big)).toMatchObject({ status: 413, json: { code: 8 } });
    const streamed = await fetch(`${gw.url}/v3/kv/put`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await ok('/v3/maintenance/status')).header.revision).toBe('1');
  });

  it('a client that hangs up mid-body does not hurt the server', async () => {
    gw = await startGateway();
    const { port } = new URL(gw.url);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(Number(port), '127.0.0.1', () => {
        sock.write('POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"key":');
        setImmediate(() => {
          sock.destroy();
          resolve();
        });
      });
      sock.on('error', reject);
    });
    await putAll('after');
    expect((await ok('/v3/kv/range', { key: b64('after') })).count).toBe('1');
    // The abandoned request settled (it was counted) instead of waiting forever for its body.
    await expect
      .poll(async () => (await (await fetch(`${gw.url}/metrics`)).text()).split('\n'))
      .toContain(`meshraft_gateway_requests_total{path="/v3/kv/put",code="499"} 1`);
  });

  it('no leader → 503 "etcdserver: no leader" (code 14); serializable reads still work', async () => {
    gw = await startGateway();
    await putAll('a');
    gw.client.setLeader(null);
    for (const [path, body] of [
      ['/v3/kv/put', { key: b64('a'), value: b64('b') }],
      ['/v3/kv/range', { key: b64('a') }],
      ['/v3/kv/deleterange', { key: b64('a') }],
      ['/v3/kv/txn', {}],
    ] as const) {
      expect(await gw.post(path, body)).toMatchObject({
        status: 503,
        json: { code: 14, error: 'etcdserver: no leader', message: 'etcdserver: no leader' },
      });
    }
    expect((await ok('/v3/kv/range', { key: b64('a'), serializable: true })).count).toBe('1');
  });

  it('maps runtime errors by code: no quorum / timeout / stopped → 503, too large → 400', async () => {
    const cases: Array<[string, number, number, string]> = [
      ['NO_LEADER', 503, 14, 'etcdserver: no leader'],
      ['NO_QUORUM', 503, 14, 'etcdserver: request timed out'],
      ['REQUEST_TIMEOUT', 503, 14, 'etcdserver: request timed out'],
      ['NODE_STOPPED', 503, 14, 'etcdserver: server stopped'],
      ['PROPOSAL_TOO_LARGE', 400, 3, 'etcdserver: request is too large'],
    ];
    let code = '';
    gw = await startGateway({}, (c): KvClient => ({
      ...c,
      propose: () => Promise.reject(new MeshraftError(code, 'from the runtime')),
    }));
    for (const [c, status, grpc, message] of cases) {
      code = c;
      expect([c, await gw.post('/v3/kv/put', { key: b64('a') })]).toMatchObject([
        c,
        { status, json: { code: grpc, error: message } },
      ]);
    }
  });

  it('an unexpected KvClient failure is a 500 with code 2, and the server keeps serving', async () => {
    gw = await startGateway({}, (c): KvClient => ({
      ...c,
      propose: () => Promise.reject(new Error('disk on fire')),
    }));
    expect(await gw.post('/v3/kv/put', { key: b64('a') })).toMatchObject({
      status: 500,
      json: { code: 2, error: 'disk on fire' },
    });
    expect((await ok('/v3/kv/range', { key: b64('a') })).header.revision).toBe('1');
  });
});

describe('GET /metrics', () => {
  it('renders node metrics and gateway request counts in Prometheus text format', async () => {
    const source: MetricsSource = {
      metrics: () => ({
        role: 'leader',
        term: 7,
        leader: 'node-a',
        commitIndex: 42,
        appliedIndex: 41,
        proposalsCommitted: 40,
        proposalsApplied: 39,
        proposalsPending: 1,
        proposalsFailed: 2,
        electionsStarted: 3,
        leaderChanges: 4,
        links: [
          { peer: 'node-b', state: 'open' },
          { peer: 'node-"c"', state: 'relay' },
        ],
        storageWriteLatency: { buckets: [{ le: 0.001, count: 5 }, { le: 0.01, count: 9 }], count: 10, sumSeconds: 0.05 },
        unreachableVoters: ['node-d', 'node-e'],
        quorumLost: true,
      }),
    };
    gw = await startGateway({ metrics: source });
    await putAll('a');
    await gw.post('/v3/kv/bogus', {});
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    for (const line of [
      '# TYPE meshraft_raft_term gauge',
      'meshraft_raft_term 7',
      'meshraft_server_has_leader 1',
      'meshraft_server_role{role="leader"} 1',
      'meshraft_server_role{role="follower"} 0',
      'meshraft_raft_commit_index 42',
      'meshraft_raft_applied_index 41',
      'meshraft_server_proposals_failed_total 2',
      'meshraft_server_leader_changes_seen_total 4',
      'meshraft_link_up{peer="node-b",state="open"} 1',
      'meshraft_quorum_lost 1',
      'meshraft_unreachable_voters{peer="node-d"} 1',
      'meshraft_unreachable_voters{peer="node-e"} 1',
      'meshraft_link_up{peer="node-\\"c\\"",state="relay"} 1',
      'meshraft_storage_write_duration_seconds_bucket{le="0.01"} 9',
      'meshraft_storage_write_duration_seconds_bucket{le="+Inf"} 10',
      'meshraft_storage_write_duration_seconds_count 10',
      'meshraft_gateway_requests_total{path="/v3/kv/put",code="200"} 1',
      'meshraft_gateway_requests_total{path="other",code="404"} 1',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    // Every family is declared exactly once.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
  });
});
