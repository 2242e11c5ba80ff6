/**
 * The etcd gateway through a real `meshraft peer` process: a one-member cluster founded with
 * --bootstrap, every endpoint over HTTP, and a member without a leader answering 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, eventually, killAll, post, startPeer, startSignaling, tempDirs, unb64, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
let signaling: string;
let peer: PeerProcess;

beforeAll(async () => {
  signaling = (await startSignaling()).url;
  peer = await startPeer(['--cluster', 'gw', '--signaling', signaling, '--data', await dirs.make(), '--id', 'solo', '--bootstrap']);
  await peer.waitFor(/leader solo/);
});

afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

describe('etcd gateway on a peer', () => {
  it('put, range, txn and deleterange go through Raft', async () => {
    const put = await post(peer.url, '/v3/kv/put', { key: b64('k1'), value: b64('v1') });
    expect(put.status).toBe(200);
    const rev = Number((put.json.header as { revision: string }).revision);
    expect(rev).toBeGreaterThan(0);

    const range = await post(peer.url, '/v3/kv/range', { key: b64('k1') });
    expect(range.status).toBe(200);
    const kvs = range.json.kvs as { key: string; value: string; version: string }[];
    expect(kvs.map((kv) => [unb64(kv.key), unb64(kv.value), kv.version])).toEqual([['k1', 'v1', '1']]);

    const cas = (expected: string, next: string) =>
      post(peer.url, '/v3/kv/txn', {
        compare: [{ key: b64('k1'), target: 'VALUE', result: 'EQUAL', value: b64(expected) }],
        success: [{ request_put: { key: b64('k1'), value: b64(next) } }],
        failure: [{ request_range: { key: b64('k1') } }],
      });
    const won = await cas('v1', 'v2');
    expect(won.status).toBe(200);
    expect(won.json.succeeded).toBe(true);
    const lost = await cas('v1', 'v3');
    expect(lost.json.succeeded).toBeUndefined(); // false is omitted, as in etcd
    const seen = (lost.json.responses as { response_range: { kvs: { value: string }[] } }[])[0]!.response_range.kvs[0]!;
    expect(unb64(seen.value)).toBe('v2');

    const del = await post(peer.url, '/v3/kv/deleterange', { key: b64('k1'), prev_kv: true });
    expect(del.json.deleted).toBe('1');
    expect(unb64((del.json.prev_kvs as { value: string }[])[0]!.value)).toBe('v2');
    const miss = await post(peer.url, '/v3/kv/range', { key: b64('k1'), serializable: true });
    expect(miss.json.kvs).toBeUndefined();
  });

  it('status and member list come from the node', async () => {
    const status = await post(peer.url, '/v3/maintenance/status');
    expect(status.status).toBe(200);
    const s = status.json as { leader: string; raftIndex: string; raftTerm: string; header: { member_id: string } };
    expect(s.leader).toBe(s.header.member_id);
    expect(Number(s.raftIndex)).toBeGreaterThan(0);
    expect(Number(s.raftTerm)).toBeGreaterThan(0);

    // The name (the node id, no --name given) is published through Raft right after the start.
    const names = async () => ((await post(peer.url, '/v3/cluster/member/list')).json.members as { name?: string }[]).map((m) => m.name ?? '');
    await eventually('the published name', async () => ((await names()).join() === 'solo' ? true : undefined));
  });

  it('serves Prometheus metrics', async () => {
    await post(peer.url, '/v3/kv/put', { key: b64('m'), value: b64('1') });
    const res = await fetch(peer.url + '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^meshraft_server_is_leader 1$/m);
    expect(text).toMatch(/^meshraft_server_has_leader 1$/m);
    expect(text).toMatch(/^meshraft_raft_term [1-9]\d*$/m);
    expect(text).toMatch(/^meshraft_raft_applied_index [1-9]\d*$/m);
    expect(text).toMatch(/^meshraft_storage_write_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^meshraft_gateway_requests_total\{path="\/v3\/kv\/put",code="200"\} [1-9]/m);
  });

  it('a member with no leader answers 503 "no leader" after its deadline; serializable reads still work', async () => {
    const lonely = await startPeer([
      '--cluster', 'nobody-here', '--signaling', signaling, '--data', await dirs.make(), '--request-timeout-ms', '300',
    ]);
    const put = await post(lonely.url, '/v3/kv/put', { key: b64('x'), value: b64('y') });
    expect(put.status).toBe(503);
    expect(put.json).toMatchObject({ error: 'etcdserver: no leader', code: 14 });
    const lin = await post(lonely.url, '/v3/kv/range', { key: b64('x') });
    expect(lin.status).toBe(503);
    const ser = await post(lonely.url, '/v3/kv/range', { key: b64('x'), serializable: true });
    expect(ser.status).toBe(200);
    expect(await lonely.kill()).toBe(0);
  });
});
