/**
 * A Watch call whose client half-closes (ends its request stream) keeps its watches, against
 * serveEtcd and a real etcd 3.4.23: a put made afterwards still arrives and the call stays open.
 * Cancelling the call, or dropping its connection, then releases the watches (meshraft: the
 * served KV client's subscriptions; etcd: its `etcd_debugging_mvcc_watcher_total` gauge).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalKvClient } from '../local-kv-client.js';
import type { KvClient } from '../kv-client.js';
import { etcdGrpcClient } from './proto.js';
import { serviceCaller } from './__tests__/service-caller.js';
import { meshraftAndEtcd, TARGETS, type Target } from './__tests__/two-targets.js';

type Msg = Record<string, any>;

/** The local KV client, counting the apply-stream subscriptions that are open. */
function countingKv(): { kv: KvClient; open(): number } {
  const inner = createLocalKvClient({ clusterId: 'c', memberId: 'm1' });
  let open = 0;
  const kv: KvClient = {
    ...inner,
    watch(options, listener) {
      const unsubscribe = inner.watch!(options, listener);
      open++;
      let done = false;
      return () => {
        if (!done) open--;
        done = true;
        unsubscribe();
      };
    },
  };
  return { kv, open: () => open };
}

const counted = countingKv();
const targets = meshraftAndEtcd(counted.kv);

async function openWatchers(target: Target): Promise<number> {
  if (target === 'meshraft') return counted.open();
  const text = await (await fetch(`http://${targets.etcd}/metrics`)).text();
  return Number(/^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(text)![1]);
}

/** A TCP relay to `address` whose connections the test can drop (as a lost network). */
async function relay(address: string): Promise<{ address: string; drop(): void; close(): Promise<void> }> {
  const [host, port] = address.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(port), host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const drop = () => sockets.forEach((s) => s.destroy());
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    drop,
    close: () => (drop(), new Promise((r) => server.close(() => r()))),
  };
}

/** Clients and relays a test opened, closed after it whether it passed or not. */
const opened: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((close) => close()));
});

/** A Watch call on one key, created, then half-closed by the client. */
async function halfClosedWatch(address: string, key: string) {
  const client = etcdGrpcClient('Watch', address) as unknown as { Watch(): ClientDuplexStream<Msg, Msg>; close(): void };
  const call = client.Watch();
  const got: Msg[] = [];
  let ended = false;
  call.on('data', (m: Msg) => got.push(m));
  call.on('error', () => {});
  call.on('status', () => (ended = true));
  call.write({ create_request: { key: Buffer.from(key) } });
  await expect.poll(() => got.some((m) => m.created), { timeout: 10_000 }).toBe(true);
  call.end();
  opened.push(() => (call.cancel(), client.close()));
  return { call, got, ended: () => ended };
}

async function put(address: string, key: string, value: string): Promise<void> {
  const kv = serviceCaller('KV', address);
  try {
    await kv.call('Put', { key: Buffer.from(key), value: Buffer.from(value) });
  } finally {
    kv.close();
  }
}

const valuesOf = (got: readonly Msg[]) => got.flatMap((m) => (m.events ?? []).map((e: Msg) => String(e.kv.value)));

describe.each(TARGETS)('Watch after the client half-closes (%s)', (target) => {
  it('events still arrive after end(); cancelling the call releases the watch', async () => {
    const before = await openWatchers(target);
    const w = await halfClosedWatch(targets[target], `hc/cancel/${target}`);
    // Time for the server to read the half-close before the put.
    await new Promise((r) => setTimeout(r, 300));
    await put(targets[target], `hc/cancel/${target}`, 'after-end');
    await expect.poll(() => valuesOf(w.got), { timeout: 10_000 }).toEqual(['after-end']);
    expect(w.ended()).toBe(false);
    expect(await openWatchers(target)).toBe(before + 1);
    w.call.cancel();
    await expect.poll(() => openWatchers(target), { timeout: 10_000 }).toBe(before);
  });

  it('dropping the connection after end() releases the watch', async () => {
    const r = await relay(targets[target]);
    opened.push(r.close);
    const before = await openWatchers(target);
    const w = await halfClosedWatch(r.address, `hc/drop/${target}`);
    await new Promise((res) => setTimeout(res, 300));
    await put(targets[target], `hc/drop/${target}`, 'after-end');
    await expect.poll(() => valuesOf(w.got), { timeout: 10_000 }).toEqual(['after-end']);
    expect(await openWatchers(target)).toBe(before + 1);
    r.drop();
    await expect.poll(() => openWatchers(target), { timeout: 10_000 }).toBe(before);
  });
});
