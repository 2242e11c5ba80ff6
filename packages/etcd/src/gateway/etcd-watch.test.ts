import { request, type ClientRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, startGateway, unb64, type GatewayServer } from './__tests__/gateway-server.js';
import type { KvClient } from '../kv-client.js';

type J = Record<string, any>;

/** An open /v3/watch stream: `messages(n)` resolves once n results have arrived. */
interface WatchStream {
  readonly status: number;
  messages(n: number): Promise<J[]>;
  ended(): Promise<void>;
  close(): void;
}

function openWatch(gw: GatewayServer, body: unknown): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const got: J[] = [];
    const waiters: Array<() => void> = [];
    let buffer = '';
    let req: ClientRequest | undefined = undefined;
    let done = false;
    const endWaiters: Array<() => void> = [];
    req = request(`${gw.url}/v3/watch`, { method: 'POST' }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buffer.slice(0, nl)) as J);
          buffer = buffer.slice(nl + 1);
        }
        if (buffer.trim().startsWith('{') && res.statusCode !== 200) got.push(JSON.parse(buffer) as J);
        waiters.splice(0).forEach((w) => w());
      });
      res.on('end', () => {
        if (buffer.trim() && res.statusCode !== 200) got.push(JSON.parse(buffer) as J);
        done = true;
        waiters.splice(0).forEach((w) => w());
        endWaiters.splice(0).forEach((w) => w());
      });
      res.on('error', () => {});
      resolve({
        status: res.statusCode ?? 0,
        async messages(n) {
          while (got.length < n && !done) await new Promise<void>((r) => waiters.push(r));
          return got.slice(0, n);
        },
        ended: () => (done ? Promise.resolve() : new Promise<void>((r) => endWaiters.push(r))),
        close: () => req?.destroy(),
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

let gw: GatewayServer;
afterEach(async () => {
  await gw?.close();
});

describe('/v3/watch', () => {
  it('streams created, then one result per revision with PUT and DELETE events', async () => {
    gw = await startGateway();
    await gw.post('/v3/kv/put', { key: b64('app/a'), value: b64('0') });
    const w = await openWatch(gw, { create_request: { key: b64('app/'), range_end: b64('app0'), prev_kv: true } });
    expect(w.status).toBe(200);
    const [created] = await w.messages(1);
    expect(created).toEqual({ result: { header: expect.objectContaining({ revision: '2' }), created: true } });
    await gw.post('/v3/kv/put', { key: b64('app/a'), value: b64('1') });
    await gw.post('/v3/kv/put', { key: b64('elsewhere'), value: b64('x') });
    await gw.post('/v3/kv/txn', {
      success: [{ request_put: { key: b64('app/b'), value: b64('2') } }, { request_delete_range: { key: b64('app/a') } }],
    });
    const [, first, second] = await w.messages(3);
    expect(first!.result.header.revision).toBe('3');
    expect(first!.result.events).toEqual([
      {
        kv: { key: b64('app/a'), create_revision: '2', mod_revision: '3', version: '2', value: b64('1') },
        prev_kv: { key: b64('app/a'), create_revision: '2', mod_revision: '2', version: '1', value: b64('0') },
      },
    ]);
    expect(second!.result.header.revision).toBe('5');
    expect(second!.result.events.map((e: J) => [e.type ?? 'PUT', unb64(e.kv.key)])).toEqual([
      ['PUT', 'app/b'],
      ['DELETE', 'app/a'],
    ]);
    expect(second!.result.events[1].kv).toEqual({ key: b64('app/a'), mod_revision: '5' });
    w.close();
  });

  it('filters NOPUT / NODELETE and echoes watch_id', async () => {
    gw = await startGateway();
    const w = await openWatch(gw, { create_request: { key: b64('k'), filters: ['NOPUT'], watch_id: '7' } });
    await gw.post('/v3/kv/put', { key: b64('k'), value: b64('1') });
    await gw.post('/v3/kv/deleterange', { key: b64('k') });
    const [created, del] = await w.messages(2);
    expect(created!.result).toMatchObject({ watch_id: '7', created: true });
    expect(del!.result).toMatchObject({ watch_id: '7', events: [{ type: 'DELETE' }] });
    expect(del!.result.header.revision).toBe('3');
    w.close();
  });

  it('a start_revision in the future waits for it; one in the past replays history; a compacted one is canceled', async () => {
    gw = await startGateway();
    await gw.post('/v3/kv/put', { key: b64('k'), value: b64('1') }); // rev 2
    const future = await openWatch(gw, { create_request: { key: b64('k'), start_revision: '4' } });
    await future.messages(1);
    await gw.post('/v3/kv/put', { key: b64('k'), value: b64('2') }); // rev 3: before the start
    await gw.post('/v3/kv/put', { key: b64('k'), value: b64('3') }); // rev 4
    const [, ev] = await future.messages(2);
    expect(ev!.result.header.revision).toBe('4');
    future.close();

    const past = await openWatch(gw, { create_request: { key: b64('k'), start_revision: '2', prev_kv: true } });
    const replayed = (await past.messages(4)).slice(1).map((m) => [m.result.header.revision, unb64(m.result.events[0].kv.value), m.result.events[0].prev_kv && unb64(m.result.events[0].prev_kv.value)]);
    expect(replayed).toEqual([['2', '1', undefined], ['3', '2', '1'], ['4', '3', '2']]);
    past.close();

    expect((await gw.post('/v3/kv/compaction', { revision: '3' })).status).toBe(200);
    const compacted = await openWatch(gw, { create_request: { key: b64('k'), start_revision: '2' } });
    const msgs = await compacted.messages(2);
    await compacted.ended();
    expect(msgs[1]!.result).toMatchObject({
      canceled: true,
      compact_revision: '3',
      cancel_reason: 'etcdserver: mvcc: required revision has been compacted',
    });
  });

  it('closing the stream unsubscribes', async () => {
    gw = await startGateway();
    const w = await openWatch(gw, { create_request: { key: b64('k') } });
    await w.messages(1);
    expect(gw.client.stateMachine.watchCount).toBe(1);
    w.close();
    // The server sees the hang-up asynchronously.
    await expect.poll(() => gw.client.stateMachine.watchCount).toBe(0);
    expect((await gw.post('/v3/kv/put', { key: b64('k'), value: b64('1') })).status).toBe(200);
  });

  it('errors: bad body 400, empty key 400, cancel_request 400, no watch support 501', async () => {
    gw = await startGateway();
    const bad = await gw.post('/v3/watch', '{');
    expect(bad).toMatchObject({ status: 400, json: { code: 3 } });
    expect(await gw.post('/v3/watch', { create_request: {} })).toMatchObject({
      status: 400,
      json: { error: 'etcdserver: key is not provided' },
    });
    expect(await gw.post('/v3/watch', { cancel_request: { watch_id: '1' } })).toMatchObject({ status: 400 });
    expect(await gw.post('/v3/watch', { create_request: { key: b64('k'), filters: ['NOPE'] } })).toMatchObject({ status: 400 });
    await gw.close();
    gw = await startGateway({}, (c): KvClient => {
      const { watch: _drop, ...rest } = c;
      return rest;
    });
    expect(await gw.post('/v3/watch', { create_request: { key: b64('k') } })).toMatchObject({
      status: 501,
      json: { code: 12, error: 'watch is not supported by this member' },
    });
  });
});
