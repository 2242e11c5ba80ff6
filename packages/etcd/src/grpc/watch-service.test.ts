/**
 * The Watch service over a raw grpc-js stream (from the vendored protos): many watches on one
 * stream, filters, prev_kv, cancel, progress requests and notifications, fragments, duplicate
 * ids, and a compacted start answered with compact_revision.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { put } from 'meshraft/kv';
import { createLocalKvClient, type LocalKvClient } from '../local-kv-client.js';
import { serveEtcd, type EtcdServer } from '../etcd-server.js';
import { etcdGrpcClient } from './proto.js';

type Msg = Record<string, any>;
let server: EtcdServer | undefined;
let kv: LocalKvClient;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function open(progressIntervalMs = 60_000, maxRequestBytes?: number) {
  kv = createLocalKvClient();
  server = await serveEtcd(kv, { host: '127.0.0.1', port: 0, progressIntervalMs, ...(maxRequestBytes && { maxRequestBytes }) });
  const client = etcdGrpcClient('Watch', server.url.replace('http://', '')) as unknown as { Watch(): ClientDuplexStream<Msg, Msg>; close(): void };
  const stream = client.Watch();
  const got: Msg[] = [];
  stream.on('data', (m: Msg) => got.push(m));
  stream.on('error', () => {});
  const until = async (pred: (m: Msg[]) => boolean) => {
    await expect.poll(() => pred(got), { timeout: 10_000 }).toBe(true);
    return got;
  };
  return { stream, got, until, close: () => (stream.end(), client.close()) };
}

const key = (s: string) => Buffer.from(s);
const create = (c: Msg) => ({ create_request: c });
const write = (k: string, v: string) => kv.propose(put(k, v));

describe('Watch service', () => {
  it('many watches on one stream, filters, prev_kv and cancel', async () => {
    const w = await open();
    w.stream.write(create({ key: key('a'), prev_kv: true }));
    w.stream.write(create({ key: key('b'), range_end: key('c'), filters: ['NOPUT'] }));
    await w.until((g) => g.filter((m) => m.created).length === 2);
    const [ida, idb] = w.got.filter((m) => m.created).map((m) => m.watch_id);
    expect(ida).not.toBe(idb);
    await write('a', '1');
    await write('a', '2');
    await write('b1', 'x');
    await kv.propose({ type: 'deleteRange', key: key('b1') });
    await w.until((g) => g.filter((m) => m.events?.length).length === 3);
    const events = w.got.filter((m) => m.events?.length).map((m) => [m.watch_id, m.events.map((e: Msg) => `${e.type} ${e.kv.key} ${e.prev_kv ? e.prev_kv.value : '-'}`)]);
    expect(events).toEqual([
      [ida, ['PUT a -']],
      [ida, ['PUT a 1']],
      [idb, ['DELETE b1 -']],
    ]);
    w.stream.write({ cancel_request: { watch_id: ida } });
    await w.until((g) => g.some((m) => m.canceled && m.watch_id === ida));
    await write('a', '3');
    await write('b2', 'y');
    await kv.propose({ type: 'deleteRange', key: key('b2') });
    await w.until((g) => g.filter((m) => m.events?.length).length === 4);
    expect(w.got.filter((m) => m.events?.length).slice(3).map((m) => m.watch_id)).toEqual([idb]);
    w.close();
  });

  it('progress requests and notifications carry the current revision', async () => {
    const w = await open(300);
    w.stream.write(create({ key: key('p'), progress_notify: true }));
    await w.until((g) => g.some((m) => m.created));
    await write('other', '1'); // revision 2, not in the watched range
    w.stream.write({ progress_request: {} });
    await w.until((g) => g.some((m) => m.watch_id === '-1' && m.header.revision === '2'));
    // The watch's own notification, with no events.
    await w.until((g) => g.some((m) => m.watch_id === '0' && !m.created && !m.events?.length && m.header.revision === '2'));
    w.close();
  });

  it('duplicate watch ids are refused; a compacted start is canceled with compact_revision', async () => {
    const w = await open();
    w.stream.write(create({ key: key('d'), watch_id: '7' }));
    w.stream.write(create({ key: key('d'), watch_id: '7' }));
    await w.until((g) => g.some((m) => m.canceled && m.cancel_reason === 'etcdserver: duplicate watch ID'));
    for (let i = 0; i < 5; i++) await write('d', String(i));
    await kv.propose({ type: 'compact', revision: 4 });
    w.stream.write(create({ key: key('d'), start_revision: '2', watch_id: '9' }));
    await w.until((g) => g.some((m) => m.watch_id === '9' && m.canceled));
    expect(w.got.find((m) => m.watch_id === '9' && m.canceled)).toMatchObject({ compact_revision: '4', cancel_reason: 'etcdserver: mvcc: required revision has been compacted' });
    w.close();
  });

  it('a large revision is split into fragments when the client asks for them', async () => {
    const w = await open(60_000, 4096);
    w.stream.write(create({ key: key('f/'), range_end: key('f0'), fragment: true }));
    await w.until((g) => g.some((m) => m.created));
    const ops = Array.from({ length: 10 }, (_, i) => ({ type: 'put' as const, key: key(`f/${i}`), value: Buffer.alloc(1000, 120) }));
    await kv.propose({ type: 'txn', compare: [], success: ops, failure: [] });
    await w.until((g) => g.filter((m) => m.events?.length).reduce((n, m) => n + m.events.length, 0) === 10);
    const parts = w.got.filter((m) => m.events?.length);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((m) => m.fragment)).toEqual([...parts.slice(1).map(() => true), false]);
    w.close();
  });
});
