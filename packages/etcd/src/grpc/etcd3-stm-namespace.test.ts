/**
 * The `etcd3` npm client's software transactions (`stm()`) and namespaces (`namespace()`), with
 * the same test bodies against serveEtcd over a local KV state machine and against a real etcd
 * 3.4.23 (/usr/bin/etcd). STM commits are txns comparing the mod revisions of what was read (and,
 * at SerializableSnapshot, of what is written); a failed compare is a conflict that retries.
 * Namespaces prefix every key, range, watch and lease key, so nothing outside is seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3, STMConflictError, type Isolation, type Namespace } from 'etcd3';
import { meshraftAndEtcd, TARGETS } from './__tests__/two-targets.js';

const targets = meshraftAndEtcd();
// etcd3's Isolation is a const enum: its values, as the client defines them.
const SERIALIZABLE_SNAPSHOT = 0 as Isolation;
const REPEATABLE_READS = 2 as Isolation;
const READ_COMMITTED = 3 as Isolation;

describe.each(TARGETS)('etcd3 stm() and namespace() (%s)', (target) => {
  let client: Etcd3;
  let n = 0;
  const fresh = (base: string) => `${base}-${n++}`;

  beforeAll(() => {
    client = new Etcd3({ hosts: targets[target], dialTimeout: 10_000 });
  });
  afterAll(() => client.close());

  /** One increment of `key` as an STM; `between` runs after the first run's read, before its commit. */
  function increment(key: string, runs: string[], who: string, opts: { retries?: number } = {}, between?: () => Promise<unknown>) {
    let first = true;
    return client.stm({ retries: opts.retries ?? 5 }).transact(async (tx) => {
      runs.push(who);
      const now = Number((await tx.get(key).string()) ?? '0');
      if (between && first) await between();
      first = false;
      await tx.put(key).value(String(now + 1));
      return now + 1;
    });
  }

  it('two STMs on one counter, one committing while the other is between read and write: both land once, the loser retries', async () => {
    const key = fresh('counter');
    const runs: string[] = [];
    // A reads, then B runs to its commit, then A writes: A's commit conflicts and A runs again.
    const a = await increment(key, runs, 'A', {}, () => increment(key, runs, 'B'));
    expect(a).toBe(2);
    expect(runs).toEqual(['A', 'B', 'A']);
    expect(await client.get(key).string()).toBe('2');
    expect((await client.get(key).exec()).kvs[0]?.version).toBe('2');
  });

  it('eight concurrent STM increments land exactly once each', async () => {
    const key = fresh('many');
    const runs: string[] = [];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => increment(key, runs, `c${i}`, { retries: 20 })));
    expect([...results].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await client.get(key).string()).toBe('8');
    expect((await client.get(key).exec()).kvs[0]?.version).toBe('8');
    expect(runs.length).toBeGreaterThanOrEqual(8);
  });

  it('a conflict with no retries left is STMConflictError and writes nothing', async () => {
    const key = fresh('noretry');
    const runs: string[] = [];
    await expect(increment(key, runs, 'A', { retries: 0 }, () => increment(key, runs, 'B'))).rejects.toBeInstanceOf(STMConflictError);
    expect(runs).toEqual(['A', 'B']);
    expect(await client.get(key).string()).toBe('1');
  });

  it('isolation: SerializableSnapshot also guards the keys it writes; RepeatableReads and ReadCommitted do not; RepeatableReads retries when a read key changed', async () => {
    const [read, written] = [fresh('read'), fresh('written')];
    await client.put(read).value('r');
    /** No retries: whether a write of the key this STM writes, between its read and commit, conflicts. */
    const attempt = (isolation: Isolation) =>
      client
        .stm({ retries: 0, isolation })
        .transact(async (tx) => {
          await tx.get(read).string();
          await client.put(written).value('other');
          await tx.put(written).value('mine');
        })
        .then(
          () => 'committed',
          (e: unknown) => (e instanceof STMConflictError ? 'conflict' : String(e)),
        );
    expect(await attempt(SERIALIZABLE_SNAPSHOT)).toBe('conflict');
    expect(await client.get(written).string()).toBe('other');
    expect(await attempt(REPEATABLE_READS)).toBe('committed');
    expect(await attempt(READ_COMMITTED)).toBe('committed');
    expect(await client.get(written).string()).toBe('mine');
    // RepeatableReads does retry when a key it read changed before its commit.
    let runs = 0;
    await client.stm({ retries: 2, isolation: REPEATABLE_READS }).transact(async (tx) => {
      runs++;
      await tx.get(read).string();
      if (runs === 1) await client.put(read).value('changed');
      await tx.put(written).value('again');
    });
    expect(runs).toBe(2);
  });

  it('STM in a namespace: reads and writes are the namespace\'s keys', async () => {
    const ns = client.namespace(`${fresh('stmns')}/`);
    await client.put('c').value('outside');
    await ns.stm().transact(async (tx) => {
      expect(await tx.get('c').string()).toBeNull();
      await tx.put('c').value('inside');
    });
    expect(await ns.get('c').string()).toBe('inside');
    expect(await client.get('c').string()).toBe('outside');
  });

  describe('namespace', () => {
    let prefix: string;
    let ns: Namespace;
    beforeAll(async () => {
      prefix = `${fresh('ns')}/`;
      ns = client.namespace(prefix);
      // Neighbours on both sides of the namespace's range, and the bare key names.
      await client.put(`${prefix.slice(0, -1)}`).value('below');
      await client.put(`${prefix.slice(0, -1)}0`).value('above');
      await client.put('a').value('outside');
      await client.put('b').value('outside');
    });

    it('put, get, getAll, count and delete see only the namespace\'s keys', async () => {
      await ns.put('a').value('1');
      await ns.put('b').value('2');
      await ns.put('c/d').value('3');
      expect(await client.get(`${prefix}a`).string()).toBe('1');
      expect(await ns.get('a').string()).toBe('1');
      expect(await ns.getAll().keys()).toEqual(['a', 'b', 'c/d']);
      expect(await ns.getAll().prefix('c/').keys()).toEqual(['c/d']);
      expect(await ns.getAll().count()).toBe(3);
      expect(await ns.getAll().strings()).toEqual({ a: '1', b: '2', 'c/d': '3' });
      expect(await ns.if('a', 'Value', '==', '1').then(ns.put('t').value('yes')).else(ns.put('t').value('no')).commit()).toMatchObject({ succeeded: true });
      expect(await ns.get('t').string()).toBe('yes');
      await ns.delete().key('b');
      expect(await ns.get('b').string()).toBeNull();
      expect(await client.get('b').string()).toBe('outside');
      await ns.delete().all();
      expect(await ns.getAll().keys()).toEqual([]);
      expect(await client.get('a').string()).toBe('outside');
      expect(await client.get(prefix.slice(0, -1)).string()).toBe('below');
      expect(await client.get(`${prefix.slice(0, -1)}0`).string()).toBe('above');
    });

    it('a watch in the namespace sees its keys (named without the prefix), not outside ones', async () => {
      const w = await ns.watch().prefix('w').create();
      const seen: string[] = [];
      const done = new Promise<void>((resolve) => {
        w.on('put', (kv) => {
          seen.push(`${kv.key.toString()}=${kv.value.toString()}`);
          if (seen.length === 2) resolve();
        });
      });
      await client.put('w1').value('outside');
      await ns.put('w1').value('in1');
      await client.put(`${prefix.slice(0, -1)}0w`).value('outside');
      await ns.put('w2').value('in2');
      await done;
      await w.cancel();
      expect(seen).toEqual(['w1=in1', 'w2=in2']);
      const all = await ns.watch().prefix('').create();
      const first = new Promise<string>((resolve) => all.once('delete', (kv) => resolve(kv.key.toString())));
      await client.delete().key('w1');
      await ns.delete().key('w1');
      expect(await first).toBe('w1');
      await all.cancel();
    });

    it('a lease\'s keys are in the namespace; revoking it deletes them and nothing outside', async () => {
      const lease = ns.lease(30, { autoKeepAlive: false });
      await lease.put('l').value('leased');
      await client.put('l').value('outside');
      expect((await client.get(`${prefix}l`).exec()).kvs[0]?.lease).toBe(await lease.grant());
      expect(await ns.get('l').string()).toBe('leased');
      await lease.keepaliveOnce();
      await lease.revoke();
      expect(await ns.get('l').string()).toBeNull();
      expect(await client.get('l').string()).toBe('outside');
    });
  });
});
