/**
 * Three `meshraft peer` processes and a signaling server process on loopback. Concurrent clients
 * (JSON gateway, then gRPC) put, read and CAS through every member while the leader is killed with SIGKILL and
 * restarted from its data directory, then a follower likewise. The recorded history must be
 * linearizable (so no acknowledged write is lost), and the cluster must keep serving.
 */
import { checkOperations, formatExplanation, kvModel, type KvInput } from '@meshraft/sim';
import { afterAll, describe, expect, it } from 'vitest';
import { KvHistory } from './__tests__/kv-history.js';
import { clusterOf, eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe.each(['json', 'grpc'] as const)('a three-peer cluster under SIGKILL, clients over %s', (protocol) => {
  it('stays linearizable through leader and follower crashes and restarts', async () => {
    const { url: signaling } = await startSignaling();
    const ids = ['a', 'b', 'c'];
    const data = new Map<string, string>();
    for (const id of ids) data.set(id, await dirs.make());
    const argsOf = (id: string) => [
      '--cluster', `lin-${protocol}`, '--signaling', signaling, '--data', data.get(id)!, '--id', id, '--tick-ms', '50',
      '--request-timeout-ms', '3000', ...(id === 'a' ? ['--bootstrap'] : []),
    ];
    const peers = new Map<string, PeerProcess>();
    const start = async (id: string) => peers.set(id, await startPeer(argsOf(id)));
    await Promise.all(ids.map(start));

    // a founds the cluster; b and c join as learners and are promoted to voters.
    const leader = await clusterOf(peers, 'a', 20_000);

    const history = new KvHistory(protocol);
    const keys = ['x', 'y', 'z'];
    let running = true;
    let unique = 0;
    const client = async (clientId: number) => {
      let rnd = clientId * 7919;
      const next = (n: number) => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) % n;
      const lastSeen = new Map<string, string | null>();
      while (running) {
        const key = keys[next(keys.length)]!;
        const url = [...peers.values()][next(peers.size)]!.url;
        const roll = next(10);
        const value = `${clientId}.${unique++}`;
        const input: KvInput =
          roll < 4 ? { kind: 'get', key } : roll < 7 ? { kind: 'put', key, value } : { kind: 'cas', key, expected: lastSeen.get(key) ?? null, value };
        const out = await history.run(clientId, url, input);
        if (out && input.kind === 'get') lastSeen.set(key, out.value ?? null);
        if (out?.ok && input.kind === 'cas') lastSeen.set(key, input.value);
      }
    };
    const clients = Array.from({ length: 6 }, (_, i) => client(i));

    // Real work before the first crash (poll, not a fixed sleep: gRPC channels connect lazily).
    await eventually('answers before the crash', async () => (history.answered > 20 ? true : undefined), 20_000);
    const killed = await leader();
    await peers.get(killed)!.kill('SIGKILL');
    const beforeRestart = history.answered;
    await sleep(2500);
    await start(killed); // same flags, same data dir: --bootstrap is ignored, it rejoins
    await sleep(1500);
    const next = await leader();
    const follower = ids.find((id) => id !== next)!;
    await peers.get(follower)!.kill('SIGKILL');
    await sleep(1500);
    await start(follower);
    await sleep(1500);
    await eventually('answers after the crashes', async () => (history.answered - beforeRestart > 20 ? true : undefined), 30_000);
    running = false;
    await Promise.all(clients);
    // Final reads through every member: a lost acknowledged write would show here.
    for (const [i, p] of [...peers.values()].entries()) {
      for (const key of keys) await history.run(100 + i, p.url, { kind: 'get', key });
    }

    history.close();
    const result = checkOperations(kvModel, history.ops);
    console.info(`history: ${history.ops.length} operations, ${history.answered} answered; checker: ${result.verdict} in ${result.steps} steps`);
    if (result.explanation) console.error(formatExplanation(result.explanation));
    expect(result.verdict).toBe('ok');
    // The workload did real work on both sides of the crashes, and every member answered at the end.
    expect(beforeRestart).toBeGreaterThan(10);
    expect(history.answered - beforeRestart).toBeGreaterThan(10);
    expect(history.ops.slice(-9).every((o) => o.output !== undefined)).toBe(true);
    expect(history.ops.some((o) => o.input.kind === 'cas' && o.output?.ok === true)).toBe(true);
    for (const p of peers.values()) expect(await p.kill('SIGTERM')).toBe(0);
  });
});
