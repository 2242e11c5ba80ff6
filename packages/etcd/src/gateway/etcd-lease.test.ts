/**
 * The JSON gateway's Lease endpoints against a real etcd 3.4 (Debian's etcd-server, one member on
 * loopback): the same raw HTTP requests to both, answers compared after normalising what differs
 * between any two servers (header ids and revisions, server-chosen lease ids, the second a
 * remaining TTL may have lost, the order of listed leases and attached keys (Go map order on
 * etcd), and the text of JSON decoding errors, which is Go's on etcd).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKvClient } from '../local-kv-client.js';
import { startEtcdCluster, type EtcdCluster } from '../peer/__tests__/etcd-cluster.js';
import { b64, eventually, tempDirs } from '../peer/__tests__/peer-process.js';
import { createEtcdGateway } from './etcd-gateway.js';
import { jsonValues } from './etcd-lease.js';

const dirs = tempDirs();
let etcd: EtcdCluster | undefined;
let server: Server | undefined;
let theirs = '';
let ours = '';

beforeAll(async () => {
  etcd = await startEtcdCluster(await dirs.make(), 1);
  theirs = etcd.urls[0]!;
  // etcd's smallest TTL with its default 1 s election timeout is 2 s: the same here.
  const kv = createLocalKvClient({ clusterId: 'lease-gw', memberId: 'gw-a', minLeaseTtl: 2 });
  server = createServer(createEtcdGateway(kv));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  ours = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await eventually('etcd up', async () => ((await call(theirs, '/v3/maintenance/status', '{}')).status === 200 ? true : undefined));
}, 60_000);

afterAll(async () => {
  await etcd?.kill();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await dirs.cleanup();
});

async function call(base: string, path: string, body: string): Promise<{ status: number; text: string; type: string }> {
  try {
    const r = await fetch(base + path, { method: 'POST', body });
    return { status: r.status, text: await r.text(), type: r.headers.get('content-type') ?? '' };
  } catch {
    return { status: 0, text: '', type: '' };
  }
}

/** Per server: server-chosen lease ids become L1, L2, ... in order of appearance. */
class Normaliser {
  private readonly ids = new Map<string, string>();
  constructor(private readonly chosen: ReadonlySet<string>) {}
  id(v: string): string {
    if (this.chosen.has(v)) return v;
    if (!this.ids.has(v)) this.ids.set(v, `L${this.ids.size + 1}`);
    return this.ids.get(v)!;
  }
  value(v: unknown, key = ''): unknown {
    if (Array.isArray(v)) {
      const out = v.map((x) => this.value(x));
      // etcd lists leases, and a lease's attached keys, in its Go maps' random order.
      return key === 'leases' || key === 'keys' ? out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : out;
    }
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'header') out[k] = Object.keys(x as object).sort();
      else if (k === 'ID') out[k] = this.id(String(x));
      else if ((k === 'error' || k === 'message') && typeof x === 'string' && !x.startsWith('etcdserver:')) out[k] = 'JSON DECODE ERROR';
      else out[k] = this.value(x, k);
    }
    // A remaining TTL is the granted one, or a second less once a second boundary passed.
    if (typeof out.grantedTTL === 'string' && Number(out.grantedTTL) - Number(out.TTL) <= 1) out.TTL = 'REMAINING';
    return out;
  }
  answer(r: { status: number; text: string }): unknown {
    const lines = r.text.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => {
      try {
        return this.value(JSON.parse(l));
      } catch {
        return l;
      }
    });
    return { status: r.status, body: parsed };
  }
}

const FOO = b64('foo');
const FOP = b64('fop');
/** Lease ids the script chooses (kept as they are). */
const CHOSEN = new Set(['1234', '77', '999', '0']);

const SCRIPT: ReadonlyArray<readonly [string, string]> = [
  ['/v3/lease/grant', '{"TTL":30,"ID":1234}'],
  ['/v3/lease/grant', '{"TTL":"30"}'],
  ['/v3/lease/grant', '{"TTL":30,"ID":"1234"}'],
  ['/v3/lease/grant', '{"TTL":9000000001}'],
  ['/v3/lease/grant', '{}'],
  ['/v3/lease/grant', '{"TTL":-5}'],
  ['/v3/lease/grant', '{"TTL":null}'],
  ['/v3/lease/grant', ''],
  ['/v3/lease/grant', 'notjson'],
  ['/v3/lease/grant', '[1]'],
  ['/v3/lease/grant', '{"TTL":1.5}'],
  ['/v3/lease/grant', '{"TTL":true}'],
  ['/v3/lease/grant', '{"TTL":"abc"}'],
  ['/v3/kv/put', `{"key":"${FOO}","value":"YmFy","lease":1234}`],
  ['/v3/kv/put', `{"key":"${FOP}","value":"YmFy","lease":"1234"}`],
  ['/v3/kv/put', `{"key":"${FOP}","value":"YmFy","lease":999}`],
  ['/v3/lease/timetolive', '{"ID":1234,"keys":true}'],
  ['/v3/kv/lease/timetolive', '{"ID":"1234"}'],
  ['/v3/lease/timetolive', '{"ID":999}'],
  ['/v3/lease/timetolive', '{}'],
  ['/v3/lease/timetolive', '{"ID":1234,"keys":"yes"}'],
  ['/v3/lease/timetolive', '{"ID":"x"}'],
  ['/v3/lease/leases', '{}'],
  ['/v3/kv/lease/leases', ''],
  ['/v3/lease/leases', '{"unknown":1}'],
  ['/v3/lease/leases', 'garbage'],
  ['/v3/lease/keepalive', '{"ID":1234}'],
  ['/v3/lease/keepalive', '{"ID":1234}{"ID":999} {"ID":"1234"}\n{}'],
  ['/v3/lease/keepalive', '{"ID":1234}{"ID":"x"}{"ID":1234}'],
  ['/v3/lease/keepalive', '{"ID":"x"}'],
  ['/v3/lease/keepalive', '[]'],
  ['/v3/lease/keepalive', ''],
  ['/v3/lease/revoke', '{"ID":1234}'],
  ['/v3/kv/range', `{"key":"${FOO}","range_end":"${b64('foq')}"}`],
  ['/v3/lease/revoke', '{"ID":1234}'],
  ['/v3/kv/lease/revoke', '{"ID":77}'],
  ['/v3/lease/revoke', '{}'],
  ['/v3/lease/revoke', '{"ID":[]}'],
  ['/v3/lease/timetolive', '{"ID":1234}'],
];

describe('JSON gateway leases against etcd 3.4', () => {
  it('grant, put with a lease, timetolive, leases, keepalive, revoke (and the /v3/kv/lease aliases): the same answers', async () => {
    const [t, o] = [new Normaliser(CHOSEN), new Normaliser(CHOSEN)];
    for (const [path, body] of SCRIPT) {
      const [rt, ro] = [await call(theirs, path, body), await call(ours, path, body)];
      expect([path, body, o.answer(ro)]).toEqual([path, body, t.answer(rt)]);
      if (rt.status === 200) expect([path, ro.type]).toEqual([path, rt.type]);
    }
  });

  it('a key put with a short lease is gone once the lease expires, on both', { timeout: 20_000 }, async () => {
    for (const base of [theirs, ours]) {
      const g = await call(base, '/v3/lease/grant', '{"TTL":2}');
      const id = (JSON.parse(g.text) as { ID: string }).ID;
      const key = b64(`exp-${base}`);
      expect((await call(base, '/v3/kv/put', `{"key":"${key}","value":"dg==","lease":"${id}"}`)).status).toBe(200);
      const started = Date.now();
      await eventually('expiry', async () => ((await call(base, '/v3/kv/range', `{"key":"${key}"}`)).text.includes('"kvs"') ? undefined : true), 10_000);
      // Not before the TTL (etcd checks every 500 ms, meshraft's keeper every 250 ms).
      expect(Date.now() - started).toBeGreaterThan(1500);
      const ttl = JSON.parse((await call(base, '/v3/lease/timetolive', `{"ID":"${id}"}`)).text) as { TTL: string };
      expect(ttl.TTL).toBe('-1');
    }
  });

  it('differences: negative lease ids are refused (etcd takes them); other methods get 405', async () => {
    expect(JSON.parse((await call(theirs, '/v3/lease/grant', '{"TTL":30,"ID":-3}')).text)).toMatchObject({ ID: '-3' });
    const r = await call(ours, '/v3/lease/grant', '{"TTL":30,"ID":-3}');
    expect([r.status, JSON.parse(r.text)]).toEqual([400, { error: 'lease.ID: must not be negative', message: 'lease.ID: must not be negative', code: 3 }]);
    const get = await fetch(`${ours}/v3/lease/leases`);
    expect(get.status).toBe(405);
  });
});

describe('jsonValues (the keepalive body splitter)', () => {
  it('splits objects at depth 0, outside strings; scalars end at a space or bracket', () => {
    expect([...jsonValues('{"a":"}{"}{"b":[1,{}]}  \n{} 12 x{"c":1}')]).toEqual(['{"a":"}{"}', '{"b":[1,{}]}', '{}', '12', 'x', '{"c":1}']);
    expect([...jsonValues('{"a":"\\"}"} {')]).toEqual(['{"a":"\\"}"}', '{']);
    expect([...jsonValues('   ')]).toEqual([]);
  });
});
