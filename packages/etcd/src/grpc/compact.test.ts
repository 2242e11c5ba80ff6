/**
 * Compact on a fresh store and after writes, over gRPC, against serveEtcd and a real etcd 3.4.23
 * (/usr/bin/etcd): the same answers, and the one difference named. Each target is fresh when the
 * file starts, so the first test sees a store nothing was compacted in.
 */
import { describe, expect, it } from 'vitest';
import { serviceCaller } from './__tests__/service-caller.js';
import { meshraftAndEtcd, TARGETS } from './__tests__/two-targets.js';

const targets = meshraftAndEtcd();

describe.each(TARGETS)('Compact (%s)', (target) => {
  const compact = async (revision: number) => {
    const kv = serviceCaller('KV', targets[target]);
    try {
      return await kv.call('Compact', { revision }).then(
        () => 'ok',
        (e: Error) => e.message,
      );
    } finally {
      kv.close();
    }
  };

  it('a fresh store compacts at revision 1 (nothing compacted yet); then the usual bounds', async () => {
    expect(await compact(1)).toBe('ok');
    const kv = serviceCaller('KV', targets[target]);
    await kv.call('Put', { key: Buffer.from('c'), value: Buffer.from('1') });
    await kv.call('Put', { key: Buffer.from('c'), value: Buffer.from('2') });
    kv.close();
    expect(await compact(4)).toMatch(/11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision/);
    expect(await compact(2)).toBe('ok');
    expect(await compact(2)).toMatch(/11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted/);
    expect(await compact(1)).toMatch(/required revision has been compacted/);
    expect(await compact(3)).toBe('ok');
  });
});

describe('Compact difference', () => {
  it('meshraft accepts a repeated Compact 1 on a store never compacted past 1 (etcd 3.4.23 refuses the repeat: compacted)', async () => {
    // Both stores are past revision 1 now (the test above); a fresh meshraft store is needed.
    const { createLocalKvClient } = await import('../local-kv-client.js');
    const kv = createLocalKvClient({ clusterId: 'c', memberId: 'm1' });
    expect(await kv.propose({ type: 'compact', revision: 1 })).toMatchObject({ ok: true });
    expect(await kv.propose({ type: 'compact', revision: 1 })).toMatchObject({ ok: true });
    expect(await kv.propose({ type: 'compact', revision: 2 })).toMatchObject({ ok: false, code: 'KV_FUTURE_REVISION' });
  });
});
