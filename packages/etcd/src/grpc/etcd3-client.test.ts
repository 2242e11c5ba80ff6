/**
 * The `etcd3` npm client (real gRPC over HTTP/2) against serveEtcd over a local KV state machine:
 * KV, txn, history, compaction, watch, maintenance; and the JSON gateway on the same port.
 */
import { describe, expect, it } from 'vitest';
import { localEtcdPerTest } from '../__tests__/local-etcd.js';

const start = localEtcdPerTest();

describe('etcd3 npm client over gRPC', () => {
  it('put, get, prefix, sort, limit, delete, count', async () => {
    const { client } = await start();
    await client.put('foo').value('bar');
    expect(await client.get('foo').string()).toBe('bar');
    for (const k of ['p/1', 'p/2', 'p/3']) await client.put(k).value(k.toUpperCase());
    expect(await client.getAll().prefix('p/').strings()).toEqual({ 'p/1': 'P/1', 'p/2': 'P/2', 'p/3': 'P/3' });
    expect(await client.getAll().prefix('p/').sort('Key', 'Descend').limit(2).keys()).toEqual(['p/3', 'p/2']);
    expect(await client.getAll().prefix('p/').count()).toBe(3);
    const del = await client.delete().key('p/1').exec();
    expect(del.deleted).toBe('1');
    expect(await client.get('p/1').string()).toBeNull();
  });

  it('reads past revisions, compacts, and answers etcd errors for compacted and future revisions', async () => {
    const { client } = await start();
    const r1 = await client.put('k').value('1').exec();
    await client.put('k').value('2');
    expect(await client.get('k').revision(r1.header.revision).string()).toBe('1');
    await client.kv.compact({ revision: String(Number(r1.header.revision) + 1) });
    await expect(client.get('k').revision(r1.header.revision).string()).rejects.toThrow(/required revision has been compacted/);
    await expect(client.get('k').revision('99').string()).rejects.toThrow(/required revision is a future revision/);
  });

  it('txn: compare and branches in one revision', async () => {
    const { client } = await start();
    await client.put('a').value('1');
    const r = await client.if('a', 'Value', '==', '1').then(client.put('a').value('2'), client.put('b').value('x')).else(client.put('c').value('y')).commit();
    expect(r.succeeded).toBe(true);
    expect(await client.get('a').string()).toBe('2');
    expect(await client.get('b').string()).toBe('x');
    expect(await client.get('c').string()).toBeNull();
  });

  it('watch: live events, prev_kv, replay from a past revision, and cancel', async () => {
    const { client, kv } = await start();
    const first = await client.put('w/1').value('a').exec();
    await client.put('w/1').value('b');
    const seen: string[] = [];
    const watcher = await client.watch().prefix('w/').startRevision(first.header.revision).withPreviousKV().create();
    watcher.on('put', (kv, prev) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()} prev=${prev?.value.toString() ?? '-'}`));
    watcher.on('delete', (kv) => seen.push(`del ${kv.key.toString()}`));
    await client.put('w/2').value('c');
    await client.delete().key('w/1');
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(4);
    expect(seen).toEqual(['put w/1=a prev=-', 'put w/1=b prev=a', 'put w/2=c prev=-', 'del w/1']);
    await watcher.cancel();
    await expect.poll(() => kv.stateMachine.watchCount, { timeout: 10_000 }).toBe(0);
  });

  it('maintenance status, member list, snapshot with its sha256 trailer; the JSON gateway shares the port', async () => {
    const { client, server } = await start();
    await client.put('x').value('1');
    const status = await client.maintenance.status();
    expect(status.version).toBe('3.5.0');
    expect(status.leader).toBe(status.header.member_id);
    const members = await client.cluster.memberList({});
    expect(members.members.map((m) => m.peerURLs)).toEqual([['http://m1.meshraft.invalid:2380']]);
    // MemberUpdate records the peer URLs as given; malformed ones are refused as etcd 3.5 does.
    const ID = members.members[0]!.ID;
    await client.cluster.memberUpdate({ ID, peerURLs: ['http://10.0.0.2:2380', 'http://10.0.0.1:2380'] });
    expect((await client.cluster.memberList({})).members.map((m) => [m.name, m.peerURLs])).toEqual([['m1', ['http://10.0.0.2:2380', 'http://10.0.0.1:2380']]]);
    await expect(client.cluster.memberUpdate({ ID, peerURLs: ['10.0.0.1'] })).rejects.toThrow(/given member URLs are invalid/);
    await expect(client.cluster.memberUpdate({ ID: '1234', peerURLs: ['http://h:1'] })).rejects.toThrow(/member not found/);
    const json = await (await fetch(`${server.url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('x').toString('base64') }) })).json();
    expect((json as { count: string }).count).toBe('1');
    const chunks: Buffer[] = [];
    const stream = await client.maintenance.snapshot();
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (r: { blob: Buffer }) => chunks.push(r.blob));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const all = Buffer.concat(chunks);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(all.subarray(0, -32)).digest().equals(all.subarray(-32))).toBe(true);
  });
});
