/**
 * etcdctl 3.4's lease commands against a three-peer meshraft cluster and a real three-member etcd
 * 3.4 on loopback, the same script on both: lease grant, keep-alive (`--once` and a short
 * streaming run), timetolive (with `--keys`), revoke and list; `put --lease`, then expiry, with
 * the key gone on every member. Outputs are compared exactly after one normalisation: lease ids
 * are chosen at random by each server, so each becomes the name its grant gave it, and a
 * remaining TTL may have lost a second or two (docs/etcd.md, "etcdctl 3.4 compared with etcd").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdCluster } from './__tests__/etcd-cluster.js';
import { etcdctlProcess, stopAllEtcdctl } from './__tests__/etcdctl-process.js';
import { errorLines, runEtcdctl as etcdctl, startComparedClusters, type EtcdctlRun as Run } from './__tests__/etcdctl-run.js';
import { eventually, killAll, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
let etcd: EtcdCluster | undefined;
afterAll(async () => {
  await stopAllEtcdctl();
  await etcd?.kill();
  await killAll();
  await dirs.cleanup();
});

/** A long-running etcdctl command's first `n` stdout lines, then SIGKILL. */
async function firstLines(endpoint: string, args: readonly string[], n: number): Promise<string> {
  const p = etcdctlProcess(endpoint, args);
  try {
    return (await p.lines(n)).join('\n');
  } finally {
    await p.stop('SIGKILL');
  }
}


/** One server's lease ids by the name the script gave them. */
class Leases {
  private readonly ids = new Map<string, string>();
  /** `{X}` in an argument becomes lease X's id. */
  args(args: readonly string[]): string[] {
    return args.map((a) => a.replace(/\{(\w+)\}/g, (_, n: string) => this.ids.get(n) ?? `unknown-${n}`));
  }
  /** Remembers the id a `lease grant` printed under `name`. */
  capture(name: string, out: string): void {
    const m = /^lease ([0-9a-f]+) granted with TTL/.exec(out);
    if (m) this.ids.set(name, m[1]!);
  }
  /**
   * Ids become their names; a remaining TTL within two seconds of the granted one is REMAINING (a
   * loaded machine); attached keys are sorted (etcd lists them in its Go map's random order).
   */
  normalize(s: string): string {
    let out = s;
    for (const [name, id] of this.ids) out = out.replace(new RegExp(`\\b${id}\\b`, 'g'), `<${name}>`);
    return out
      .replace(/granted with TTL\((\d+)s\), remaining\((\d+)s\)/g, (all, ttl: string, left: string) =>
        Number(ttl) - Number(left) <= 2 ? `granted with TTL(${ttl}s), remaining(REMAINING)` : all,
      )
      .replace(/attached keys\(\[([^\]]*)\]\)/g, (_, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`);
  }
  /** `lease list` prints ids in the server's map order (sorted here after naming them). */
  sortList(s: string): string {
    const [head, ...ids] = s.trim().split('\n');
    return [head, ...ids.sort()].join('\n');
  }
}

type Step = { readonly args: readonly string[]; readonly grant?: string; readonly list?: true };

const SCRIPT: readonly Step[] = [
  { args: ['lease', 'grant', '30'], grant: 'X' },
  { args: ['put', '--lease={X}', 'foo', 'bar'] },
  { args: ['put', '--lease={X}', 'foo/2', 'baz'] },
  { args: ['lease', 'timetolive', '{X}'] },
  { args: ['lease', 'timetolive', '--keys', '{X}'] },
  { args: ['lease', 'keep-alive', '--once', '{X}'] },
  { args: ['lease', 'list'], list: true },
  { args: ['lease', 'grant', '10'], grant: 'Y' },
  { args: ['lease', 'list'], list: true },
  { args: ['lease', 'revoke', '{Y}'] },
  { args: ['lease', 'revoke', '{Y}'] },
  { args: ['lease', 'timetolive', '{Y}'] },
  { args: ['lease', 'timetolive', '--keys', '{Y}'] },
  { args: ['lease', 'keep-alive', '--once', '{Y}'] },
  { args: ['put', '--lease={Y}', 'k', 'v'] },
  { args: ['get', 'foo', '--prefix'] },
  { args: ['lease', 'grant', '9000000001'] },
  { args: ['lease', 'revoke', '1234'] },
  { args: ['lease', 'timetolive', '1234'] },
  { args: ['lease', 'revoke', '{X}'] },
  { args: ['get', 'foo', '--prefix'] },
  { args: ['lease', 'list'], list: true },
];

/** What a step shows: stdout (normalised), etcdctl's error lines, the exit code. */
function shown(l: Leases, step: Step, r: Run): unknown[] {
  const out = l.normalize(r.out);
  return [step.args, step.list ? l.sortList(out) : out, errorLines(r.err).map((e) => l.normalize(e)), r.code];
}

describe('etcdctl 3.4 lease commands against meshraft and a three-member etcd', () => {
  let peers: readonly PeerProcess[] = [];
  let reference: readonly string[] = [];
  const ours = () => peers.map((p) => p.url).join(',');
  const theirs = () => reference.join(',');
  const [mine, etcds] = [new Leases(), new Leases()];

  beforeAll(async () => {
    const both = await startComparedClusters('ctl-lease', () => dirs.make());
    ({ etcd, peers } = both);
    reference = both.etcd.urls;
  }, 120_000);

  it('grant, put --lease, timetolive (--keys), keep-alive --once, list, revoke and their errors: the same output', async () => {
    for (const step of SCRIPT) {
      const t = await etcdctl(theirs(), etcds.args(step.args));
      const o = await etcdctl(ours(), mine.args(step.args));
      if (step.grant) [etcds.capture(step.grant, t.out), mine.capture(step.grant, o.out)];
      expect(shown(mine, step, o)).toEqual(shown(etcds, step, t));
    }
  });

  it('keep-alive (streaming, two rounds at TTL/3) renews the lease: the same output', { timeout: 30_000 }, async () => {
    const grant = { args: ['lease', 'grant', '6'], grant: 'Z' };
    const both = [[theirs(), etcds], [ours(), mine]] as const;
    const streams: string[] = [];
    for (const [endpoints, l] of both) {
      l.capture('Z', (await etcdctl(endpoints, grant.args)).out);
      streams.push(l.normalize(await firstLines(endpoints, l.args(['lease', 'keep-alive', '{Z}']), 2)));
      // Right after the second round: the full TTL again (give or take the second boundary).
      streams.push(l.normalize((await etcdctl(endpoints, l.args(['lease', 'timetolive', '{Z}']))).out));
    }
    expect(streams.slice(2)).toEqual(streams.slice(0, 2));
    expect(streams.slice(0, 2)).toEqual(['lease <Z> keepalived with TTL(6)\nlease <Z> keepalived with TTL(6)', 'lease <Z> granted with TTL(6s), remaining(REMAINING)\n']);
  });

  it('put --lease, then expiry: the key is gone from every member, not before the TTL; the same output', { timeout: 60_000 }, async () => {
    const results: unknown[] = [];
    for (const [endpoints, members, l] of [[theirs(), reference, etcds], [ours(), peers.map((p) => p.url), mine]] as const) {
      l.capture('W', (await etcdctl(endpoints, ['lease', 'grant', '4'])).out);
      const started = Date.now();
      const put = await etcdctl(endpoints, l.args(['put', '--lease={W}', 'expiring', 'v']));
      // Each member's own state (serializable reads): present, then gone.
      const local = (url: string) => etcdctl(url, ['get', 'expiring', '--consistency=s', '--print-value-only']);
      const before = await Promise.all(members.map((m) => eventually(`the key on ${m}`, async () => ((await local(m)).out === 'v\n' ? true : undefined))));
      for (const m of members) await eventually(`expiry on ${m}`, async () => ((await local(m)).out === '' ? true : undefined), 20_000);
      const waited = Date.now() - started;
      const ttl = l.normalize((await etcdctl(endpoints, l.args(['lease', 'timetolive', '--keys', '{W}']))).out);
      results.push([put.out, before, waited > 3_000, ttl]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual(['OK\n', [true, true, true], true, 'lease <W> already expired\n']);
  });
});
