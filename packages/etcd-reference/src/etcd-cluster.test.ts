/**
 * The reference etcd: healthy on return (a readiness check by `endpoint health --cluster` passed
 * with a member that never started, a CI flake), a member that dies at start is named, and a port
 * taken between its choice and etcd's bind (the race of choosing ports before etcd starts) makes
 * the start repeat on other ports, a bounded number of times.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdStartError, startEtcdCluster } from './etcd-cluster.js';
import { canListen, reservedPort } from './ports.js';

const dirs: string[] = [];
const holders: Server[] = [];
afterAll(async () => {
  await Promise.all(holders.map((s) => new Promise((r) => s.close(r))));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'meshraft-etcd-reference-'));
  dirs.push(d);
  return d;
}

/** A port another process holds: a listener of this test, as the process that won the race. */
async function takenPort(): Promise<number> {
  const port = await reservedPort();
  // Connections etcd's other members open to it are refused at once, so close() never waits.
  const s = createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  holders.push(s);
  return port;
}

/** A port picker that hands out `taken` at the picks numbered in `at` (0-based), fresh ports otherwise. */
function pickerTaking(taken: number, at: (n: number) => boolean) {
  const picks: number[] = [];
  const pick = async () => {
    const p = at(picks.length) ? taken : await reservedPort();
    picks.push(p);
    return p;
  };
  return { pick, picks };
}

const clientPort = (url: string) => Number(new URL(url).port);

describe('startEtcdCluster', () => {
  it('returns only when every member is healthy and listed with its client URL', async () => {
    const etcd = await startEtcdCluster({ dataDir: await tempDir(), extraArgs: ['--log-level', 'error'] });
    try {
      const res = await fetch(`${etcd.urls[2]}/v3/cluster/member/list`, { method: 'POST', body: '{}' });
      const members = ((await res.json()) as { members: { clientURLs?: string[] }[] }).members;
      expect(members.map((m) => m.clientURLs ?? []).flat().sort()).toEqual([...etcd.urls].sort());
      for (const u of etcd.urls) expect(await (await fetch(`${u}/health`)).json()).toEqual({ health: 'true' });
      expect(etcd.pids).toHaveLength(3);
    } finally {
      await etcd.stop();
    }
    // stop() waited for the exits: nothing answers any more.
    for (const u of etcd.urls) expect(await canListen(clientPort(u))).toBe(true);
  }, 90_000);

  it('a member that exits at start fails the start, naming the member and showing its stderr', async () => {
    // A regular file where the data directory should be: etcd cannot create its data dir.
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, '');
    const err = await startEtcdCluster({ dataDir: file, size: 1 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdStartError);
    expect((err as EtcdStartError).code).toBe('EXITED');
    expect((err as EtcdStartError).attempt).toBe(1);
    expect((err as EtcdStartError).message).toMatch(/etcd member e1 .* exited \(\d+\) during start:\n.*error listing data dir/s);
  }, 30_000);

  it('a peer port taken before etcd binds it: the whole cluster starts again on other ports', async () => {
    const taken = await takenPort();
    // Picks go e1 client, e1 peer, e2 client, e2 peer, ...: e2's peer port is the taken one.
    const { pick, picks } = pickerTaking(taken, (n) => n === 3);
    const etcd = await startEtcdCluster({ dataDir: await tempDir(), pickPort: pick, extraArgs: ['--log-level', 'error'] });
    try {
      expect(picks).toHaveLength(12); // two attempts of three members' two ports
      expect(picks.slice(6)).not.toContain(taken);
      expect(etcd.urls.map(clientPort)).toEqual([picks[6], picks[8], picks[10]]);
      for (const u of etcd.urls) expect(await (await fetch(`${u}/health`)).json()).toEqual({ health: 'true' });
      // The first attempt's members are gone: their client ports are free again.
      for (const p of [picks[0]!, picks[2]!, picks[4]!]) expect(await canListen(p)).toBe(true);
    } finally {
      await etcd.kill();
    }
  }, 120_000);

  it('a port taken at every attempt: ADDRESS_IN_USE after the last, saying how many', async () => {
    const taken = await takenPort();
    const { pick, picks } = pickerTaking(taken, (n) => n % 2 === 0); // the client port, each time
    const err = await startEtcdCluster({ dataDir: await tempDir(), size: 1, attempts: 2, pickPort: pick }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdStartError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE', attempt: 2 });
    expect((err as Error).message).toMatch(new RegExp(`did not start in 2 attempts.*127\\.0\\.0\\.1:${taken}: bind: address already in use`, 's'));
    expect(picks).toHaveLength(4);
    // The members of both attempts are gone: their peer ports are free.
    for (const p of [picks[1]!, picks[3]!]) expect(await canListen(p)).toBe(true);
  }, 60_000);
});
