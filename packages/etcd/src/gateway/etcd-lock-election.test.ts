/**
 * The JSON gateway's `/v3/lock/*` and `/v3/election/*` routes against a real etcd 3.4.23
 * (/usr/bin/etcd, one member on loopback): one request script per test runs on both servers, and
 * the transcripts (status and masked JSON of every answer, what is still waiting at each step,
 * each line Observe streams) must be equal. Masked: lease ids (server-chosen, also inside the
 * waiter keys), header ids, and revisions (counted from the script's start).
 */
import { describe, expect, it } from 'vitest';
import { meshraftAndEtcd, type Target } from '../grpc/__tests__/two-targets.js';
import { b64 } from '../peer/__tests__/peer-process.js';
import { Masker, openStream, pending, post, transcriptOf, type Script } from './__tests__/json-script.js';

const targets = meshraftAndEtcd();
let n = 0;

/** Runs `script` on both servers with the same fresh names; returns each transcript. */
async function both(script: Script): Promise<Record<Target, unknown[]>> {
  const id = n++;
  return { meshraft: await transcriptOf(`http://${targets.meshraft}`, id, script), etcd: await transcriptOf(`http://${targets.etcd}`, id, script) };
}

const hexKey = (name: string, lease: string) => Buffer.concat([Buffer.from(name, 'base64'), Buffer.from(`/${BigInt(lease).toString(16)}`)]).toString('base64');
const prefix = (name: string) => `"key":"${Buffer.concat([Buffer.from(name, 'base64'), Buffer.from('/')]).toString('base64')}","range_end":"${Buffer.concat([Buffer.from(name, 'base64'), Buffer.from('0')]).toString('base64')}"`;
/** A 30 s lease, registered with the masker (so keys naming it are masked). */
async function leaseOf(base: string, m: Masker): Promise<string> {
  const id = (JSON.parse((await post(base, '/v3/lease/grant', '{"TTL":30}')).text) as { ID: string }).ID;
  m.value(id, 'ID');
  return id;
}

describe('JSON gateway locks and elections against etcd 3.4', () => {
  it('lock, a second lease waits, unlock hands over, same lease relocks; errors and 405 as etcd', async () => {
    const t = await both(async ({ call, step, base, m, name }) => {
      const [a, b] = [await leaseOf(base, m), await leaseOf(base, m)];
            const lk = name('lk');
      await call('/v3/lock/lock', `{"name":"${lk}","lease":"${a}"}`);
      // Locking again with the same lease is the same acquisition (lease as a number this time).
      await call('/v3/lock/lock', `{"name":"${lk}","lease":${a}}`);
      const second = post(base, '/v3/lock/lock', `{"name":"${lk}","lease":"${b}"}`);
      step('second waits', await pending(second));
      // What is kept under the lock's prefix: the two waiter keys, in queue order.
      await call('/v3/kv/range', `{${prefix(lk)},"keys_only":true,"sort_target":"CREATE"}`);
      await call('/v3/lock/unlock', `{"key":"${hexKey(lk, a)}"}`);
      step('second gets it', m.answer(await second));
      await call('/v3/lock/unlock', `{"key":"${b64('no-such-key')}"}`);
      await call('/v3/lock/lock', `{"name":"!!"}`);
      await call('/v3/lock/lock', `{"name":1}`);
      await call('/v3/lock/lock', `{"name":"${lk}","lease":"999"}`);
      await call('/v3/lock/lock', 'notjson');
      step('GET', (await fetch(`${base}/v3/lock/lock`)).status);
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('a waiter that hangs up withdraws its key (the lock is free for the next)', async () => {
    const t = await both(async ({ call, step, base, m, name }) => {
      const [a, b] = [await leaseOf(base, m), await leaseOf(base, m)];
      const lk = name('gone');
      await call('/v3/lock/lock', `{"name":"${lk}","lease":"${a}"}`);
      const ac = new AbortController();
      const waiter = post(base, '/v3/lock/lock', `{"name":"${lk}","lease":"${b}"}`, undefined, ac.signal);
      step('waits', await pending(waiter));
      await call('/v3/kv/range', `{${prefix(lk)},"count_only":true}`);
      ac.abort();
      await waiter.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      await call('/v3/kv/range', `{${prefix(lk)},"count_only":true}`);
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('campaign, observe, proclaim, a second campaign waits for resign; leader and errors as etcd', async () => {
    const t = await both(async ({ call, step, base, m, name: unique }) => {
      const [a, b] = [await leaseOf(base, m), await leaseOf(base, m)];
            const name = unique('el');
      await call('/v3/election/leader', `{"name":"${name}"}`);
      const observe = openStream(base, '/v3/election/observe', `{"name":"${name}"}`);
      const won = await post(base, '/v3/election/campaign', `{"name":"${name}","value":"${b64('v1')}","lease":"${a}"}`);
      step('campaign', m.answer(won));
      step('observe status', await observe.status);
      step('observe 1', m.line(await observe.next()));
      // The LeaderKey as the server returned it (unmasked), for proclaim and resign.
      const lk = JSON.stringify((JSON.parse(won.text) as { leader: unknown }).leader);
      await call('/v3/election/proclaim', `{"leader":${lk},"value":"${b64('v2')}"}`);
      step('observe 2', m.line(await observe.next()));
      const second = post(base, '/v3/election/campaign', `{"name":"${name}","value":"${b64('w1')}","lease":"${b}"}`);
      step('second waits', await pending(second));
      await call('/v3/election/leader', `{"name":"${name}"}`);
      await call('/v3/election/resign', `{"leader":${lk}}`);
      step('second elected', m.answer(await second));
      step('observe 3', m.line(await observe.next()));
      await call('/v3/election/proclaim', `{"leader":${lk},"value":"${b64('stale')}"}`);
      await call('/v3/election/proclaim', `{"value":"${b64('x')}"}`);
      await call('/v3/election/resign', '{}');
      await call('/v3/election/resign', `{"leader":${lk}}`);
      await call('/v3/election/leader', `{"name":"${name}"}`);
      await call('/v3/election/campaign', `{"name":"${name}","value":"!!"}`);
      observe.close();
    });
    expect(t.meshraft).toEqual(t.etcd);
  });

  it('observe with no leader sends nothing (no headers) until the first campaign; a bad body is a 400', async () => {
    const t = await both(async ({ call, step, base, m, name: unique }) => {
      const name = unique('quiet');
      const observe = openStream(base, '/v3/election/observe', `{"name":"${name}"}`);
      step('no answer yet', await pending(observe.status));
      const a = await leaseOf(base, m);
      await call('/v3/election/campaign', `{"name":"${name}","value":"${b64('v')}","lease":"${a}"}`);
      step('status', await observe.status);
      step('first', m.line(await observe.next()));
      observe.close();
      const bad = openStream(base, '/v3/election/observe', '{"name":1');
      step('bad', [await bad.status, m.line(await bad.next())]);
    });
    expect(t.meshraft).toEqual(t.etcd);
  });
});
