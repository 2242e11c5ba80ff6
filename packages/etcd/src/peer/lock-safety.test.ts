/**
 * Lock safety under kill -9: contenders on a three-peer cluster loop Lock → fenced write →
 * "work" → fenced check → Unlock through the v3lock RPC (and, in a second run, Campaign → ... →
 * Resign through the v3election RPC, leadership being a lock too), each on a random peer with its own
 * short lease kept alive from there, while the leader peer is killed with SIGKILL and restarted,
 * then the peer serving the current holder; one contender also stalls while holding until its
 * lease has expired. The fencing token is the lock key's create revision, and every write under
 * the lock is a txn comparing that key's create revision. Checked: tokens strictly increase in
 * commit order, no fenced write sees another holder's mark, and the hold intervals (revisions of
 * the two fenced txns, and the wall-clock times the contenders recorded) never interleave.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterOf, eventually, killAll, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';
import { serviceCaller, type Reply, type ServiceCaller } from '../grpc/__tests__/service-caller.js';
import { etcdGrpcClient } from '../grpc/proto.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOCK = Buffer.from('fenced-lock');

/** Taking and giving up the lock: the key and its create revision (the token), or a release. */
interface Recipe {
  acquire(address: string, lease: string, signal: AbortSignal): Promise<{ key: Buffer; token: number | undefined; release(): Promise<unknown> }>;
}

/** v3lock: Lock answers the key; its create revision is read after (undefined: the key is gone already). */
const lockRecipe: Recipe = {
  async acquire(address, lease, signal) {
    const [lock, kv] = [serviceCaller('Lock', address), serviceCaller('KV', address)];
    try {
      const pending = lock.call('Lock', { name: LOCK, lease });
      signal.addEventListener('abort', () => pending.cancel());
      const key = (await pending).key as Buffer;
      const got = ((await kv.call('Range', { key })).kvs as Reply[])[0];
      return { key, token: got ? Number(got.create_revision) : undefined, release: () => withCaller('Lock', address, (c) => c.call('Unlock', { key })) };
    } finally {
      lock.close();
      kv.close();
    }
  },
};

/** v3election: Campaign answers the LeaderKey, whose rev is the create revision. */
const electionRecipe: Recipe = {
  async acquire(address, lease, signal) {
    const election = serviceCaller('Election', address);
    try {
      const pending = election.call('Campaign', { name: LOCK, lease, value: Buffer.from('x') });
      signal.addEventListener('abort', () => pending.cancel());
      const leader = (await pending).leader as Reply;
      return { key: leader.key as Buffer, token: Number(leader.rev), release: () => withCaller('Election', address, (c) => c.call('Resign', { leader })) };
    } finally {
      election.close();
    }
  },
};

async function withCaller<T>(service: 'Lock' | 'Election', address: string, fn: (c: ServiceCaller) => Promise<T>): Promise<T> {
  const c = serviceCaller(service, address);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
const FENCE = Buffer.from('fence');
const MARK = Buffer.from('holder');
/** Tokens as fixed-width decimals, so etcd's byte-wise value compare orders them as numbers. */
const pad = (n: number) => String(n).padStart(12, '0');
const LEASE_TTL = '2';

interface Hold {
  readonly contender: number;
  readonly token: number;
  /** Revision of the fenced write and of the fenced check (both txns succeeded). */
  readonly revA: number;
  readonly revB: number;
  /** Wall clock: after the fenced write was answered, before the fenced check was sent. */
  readonly tA: number;
  readonly tB: number;
  /** The fence's value before this holder's write, and the mark the check read. */
  readonly prevFence: string;
  readonly markSeen: string;
}

/** Keeps `lease` alive from one peer until stopped (a stream error just ends it: the lease may then expire). */
function keepAlive(address: string, lease: string): () => void {
  const client = etcdGrpcClient('Lease', address) as unknown as { LeaseKeepAlive(): ClientDuplexStream<object, Reply>; close(): void };
  const stream = client.LeaseKeepAlive();
  stream.on('error', () => {});
  stream.on('data', () => {});
  const send = () => stream.write({ ID: lease });
  send();
  const timer = setInterval(send, 400);
  return () => {
    clearInterval(timer);
    stream.cancel();
    client.close();
  };
}

describe.each([
  ['v3lock', lockRecipe],
  ['v3election', electionRecipe],
] as const)('%s under SIGKILL of the leader and of a holder\'s peer', (service, recipe) => {
  it('never lets two holders overlap, with fencing through txns comparing the lock key', async () => {
    const { url: signaling } = await startSignaling();
    const ids = ['a', 'b', 'c'];
    const data = new Map<string, string>();
    for (const id of ids) data.set(id, await dirs.make());
    const argsOf = (id: string) => [
      '--cluster', `safety-${service}`, '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '50',
      '--request-timeout-ms', '3000', ...(id === 'a' ? ['--bootstrap'] : []),
    ];
    const peers = new Map<string, PeerProcess>();
    const start = async (id: string) => peers.set(id, await startPeer(argsOf(id)));
    await Promise.all(ids.map(start));
    const leader = await clusterOf(peers, 'a', 20_000);
    const address = (id: string) => peers.get(id)!.url.replace('http://', '');

    const holds: Hold[] = [];
    const errors: string[] = [];
    let lost = 0;
    /** Holds contender 0 stalled in (keep-alives stopped past its TTL), and how many of those lost the lock. */
    let stalls = 0;
    let stallsLost = 0;
    let ownFenced = 0;
    let running = true;
    /** Which peer the current holder talks to (for the second crash). */
    let holderPeer: string | undefined;

    const contender = async (me: number) => {
      let rnd = me * 7919 + 1;
      const next = (n: number) => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) % n;
      for (let round = 0; running; round++) {
        const peer = ids[next(ids.length)]!;
        const lease = serviceCaller('Lease', address(peer));
        const kv = serviceCaller('KV', address(peer));
        let stopKeepAlive = () => {};
        let leaseId: string | undefined;
        try {
          leaseId = String((await lease.call('LeaseGrant', { TTL: LEASE_TTL })).ID);
          stopKeepAlive = keepAlive(address(peer), leaseId);
          const held = await recipe.acquire(address(peer), leaseId, AbortSignal.timeout(15_000));
          holderPeer = peer;
          const { key, token } = held;
          if (token === undefined) {
            lost++;
            continue;
          }
          const mine = [{ key, target: 'CREATE', result: 'EQUAL', create_revision: String(token) }];
          const a = await kv.call('Txn', {
            compare: mine,
            success: [{ request_put: { key: FENCE, value: Buffer.from(pad(token)), prev_kv: true } }, { request_put: { key: MARK, value: Buffer.from(String(me)) } }],
          });
          if (!a.succeeded) {
            lost++;
            continue;
          }
          const tA = performance.now();
          const prev = (a.responses as Reply[])[0]!.response_put as Reply;
          const prevFence = prev.prev_kv ? Buffer.from((prev.prev_kv as Reply).value as Uint8Array).toString() : '';
          // Contender 0 stalls in every third hold it fenced, long enough for its lease to expire
          // (counted by holds, not rounds: rounds that failed in a crash must not skip the stalls).
          const stall = me === 0 && ownFenced++ % 3 === 2;
          if (stall) {
            stalls++;
            stopKeepAlive();
            await sleep(5000);
          } else {
            await sleep(20 + next(80));
          }
          const tB = performance.now();
          const b = await kv.call('Txn', { compare: mine, success: [{ request_range: { key: MARK } }] });
          if (!b.succeeded) {
            lost++;
            if (stall) stallsLost++;
            continue;
          }
          const markKv = (((b.responses as Reply[])[0]!.response_range as Reply).kvs as Reply[])[0];
          const markSeen = markKv ? Buffer.from(markKv.value as Uint8Array).toString() : '';
          holds.push({ contender: me, token, revA: Number((a.header as Reply).revision), revB: Number((b.header as Reply).revision), tA, tB, prevFence, markSeen });
          await held.release();
        } catch (err) {
          errors.push(`${me}@${peer}: ${(err as Error).message.split('\n')[0]}`);
          await sleep(100);
        } finally {
          stopKeepAlive();
          // Ends the session: its key (held or still queued) goes with the lease.
          if (leaseId) await lease.call('LeaseRevoke', { ID: leaseId }).catch(() => undefined);
          [lease, kv].forEach((c) => c.close());
        }
      }
    };
    const contenders = Array.from({ length: 4 }, (_, i) => contender(i));

    await eventually('holds before the crashes', async () => (holds.length >= 15 ? true : undefined), 60_000);
    const killed = await leader();
    await peers.get(killed)!.kill('SIGKILL');
    await sleep(2500);
    await start(killed); // same data dir: it rejoins
    const afterFirst = holds.length;
    await eventually('holds after the leader crash', async () => (holds.length >= afterFirst + 10 ? true : undefined), 60_000);
    const victim = holderPeer!;
    await peers.get(victim)!.kill('SIGKILL');
    await sleep(2500);
    await start(victim);
    const afterSecond = holds.length;
    await eventually('holds after the holder-peer crash', async () => (holds.length >= afterSecond + 10 ? true : undefined), 60_000);
    running = false;
    await Promise.all(contenders);
    console.info(`${service} safety: ${holds.length} holds, ${lost} lost before their fenced txns (${stallsLost} of ${stalls} stalls), ${errors.length} failed rounds (crashes); killed ${killed}, then ${victim}`);
    console.info([...new Set(errors.map((e) => e.replace(/^\d+@/, '')))].slice(0, 8).join('\n'));

    // Tokens strictly increase in commit order, and each fenced write saw the previous holder's token.
    const byRev = [...holds].sort((x, y) => x.revA - y.revA);
    for (let i = 1; i < byRev.length; i++) {
      expect(byRev[i]!.token).toBeGreaterThan(byRev[i - 1]!.token);
      expect(byRev[i]!.revA).toBeGreaterThan(byRev[i - 1]!.revB);
    }
    for (const h of holds) {
      expect(h.prevFence < pad(h.token)).toBe(true);
      expect(h.markSeen).toBe(String(h.contender));
    }
    // The contenders' own clocks: no hold began before the previous one ended.
    const byTime = [...holds].sort((x, y) => x.tA - y.tA);
    for (let i = 1; i < byTime.length; i++) expect(byTime[i]!.tA).toBeGreaterThan(byTime[i - 1]!.tB);
    // The stalls happened and lost their lock to the lease expiry (a stall overlapping a leader
    // change may keep it: the new leader restarts every TTL), and every peer still serves.
    expect(stalls).toBeGreaterThan(0);
    expect(stallsLost).toBeGreaterThan(0);
    for (const p of peers.values()) expect(await p.kill('SIGTERM')).toBe(0);
  }, 240_000);
});
