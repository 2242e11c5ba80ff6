/**
 * The reference etcd helper: healthy on return (a readiness check by `endpoint health --cluster`
 * passed with a member that never started, a CI flake), and a member that dies at start is named.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdStartError, startEtcdCluster } from './__tests__/etcd-cluster.js';
import { tempDirs } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('startEtcdCluster', () => {
  it('returns only when every member is healthy and listed with its client URL', async () => {
    const etcd = await startEtcdCluster(await dirs.make(), 3);
    try {
      const res = await fetch(`${etcd.urls[2]}/v3/cluster/member/list`, { method: 'POST', body: '{}' });
      const members = ((await res.json()) as { members: { clientURLs?: string[] }[] }).members;
      expect(members.map((m) => m.clientURLs ?? []).flat().sort()).toEqual([...etcd.urls].sort());
      for (const u of etcd.urls) expect(await (await fetch(`${u}/health`)).json()).toEqual({ health: 'true' });
    } finally {
      await etcd.kill();
    }
  }, 90_000);

  it('a member that exits at start fails the start, naming the member and showing its stderr', async () => {
    // A regular file where the data directory should be: etcd cannot create its data dir.
    const file = join(await dirs.make(), 'not-a-dir');
    await writeFile(file, '');
    const err = await startEtcdCluster(file, 1).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdStartError);
    expect((err as EtcdStartError).code).toBe('EXITED');
    expect((err as EtcdStartError).message).toMatch(/etcd member e1 .* exited \(\d+\) during start:\n.*error listing data dir/s);
  }, 30_000);
});
