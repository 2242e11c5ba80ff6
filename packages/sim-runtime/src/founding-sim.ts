/**
 * @module runtime/founding-sim
 * Founders racing under one name, over real MeshraftNodes (`pnpm sim --host runtime` runs it
 * beside the fault run for every seed). Two or three `bootstrap: true` nodes start at once or
 * a little apart, often partitioned from each other so each founds and acknowledges writes
 * alone; joiners come; the room keeps a record (a signaling server) in most seeds, and that
 * server forgets it mid-run and learns it again from the nodes' re-announces in a seeded order;
 * a node may crash and restart. Then everything heals.
 *
 * Checked (docs/simulation.md "One history per name"):
 * - `forked-ack`: a node acknowledges no proposal after it declared its history forked;
 * - `mutual-fork`: no two histories each declare the other the survivor;
 * - `two-histories`: at the end, the nodes not forked all have one cluster id (the room's
 *   record, when it has one);
 * - `two-writable`: once the run healed and settled, every acknowledged proposal comes from
 *   that one history.
 */
import { Network, Xoshiro128 } from '@meshraft/sim';
import { SharedRoomRecord } from '@meshraft/transport';
import type { ForkEvent } from 'meshraft';
import { RuntimeCluster, type KvNode } from './runtime-cluster.js';
import { VirtualClock } from './virtual-clock.js';

export interface FoundingSimResult {
  readonly seed: number;
  readonly verdict: 'ok' | 'violation' | 'exception';
  readonly detail: string;
  readonly founders: number;
  readonly room: boolean;
  readonly forgot: boolean;
  readonly forks: number;
  readonly acks: number;
  readonly survivor: string | null;
}

interface Ack {
  readonly node: string;
  readonly clusterId: string | null;
  readonly at: number;
  readonly forkedAt: number | undefined;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The invariant checks over what a run saw (exported so a test can show they catch a breach). */
export function checkFounding(
  acks: readonly Ack[],
  forks: readonly { readonly node: string; readonly clusterId: string; readonly survivorId: string }[],
  end: readonly { readonly node: string; readonly clusterId: string | null; readonly forked: boolean }[],
  recorded: string | undefined,
  settledAt: number,
): string[] {
  const out: string[] = [];
  for (const a of acks) if (a.forkedAt !== undefined && a.at > a.forkedAt) out.push(`forked-ack: ${a.node} acknowledged a proposal at ${a.at} ms after it forked at ${a.forkedAt} ms`);
  const lost = new Set(forks.map((f) => `${f.clusterId}>${f.survivorId}`));
  for (const f of forks) if (lost.has(`${f.survivorId}>${f.clusterId}`)) out.push(`mutual-fork: ${f.clusterId} and ${f.survivorId} each lost to the other`);
  const alive = new Set(end.filter((e) => !e.forked && e.clusterId !== null).map((e) => e.clusterId));
  if (alive.size > 1) out.push(`two-histories: nodes not forked at the end belong to ${[...alive].sort().join(' and ')}`);
  const [one] = alive;
  if (recorded !== undefined && one !== undefined && one !== recorded) out.push(`two-histories: the nodes not forked belong to ${one}, the room recorded ${recorded}`);
  const late = new Set(acks.filter((a) => a.at >= settledAt).map((a) => a.clusterId));
  if (late.size > 1) out.push(`two-writable: after ${settledAt} ms proposals were acknowledged by ${[...late].sort().join(' and ')}`);
  return out;
}

export async function simulateFounding(seed: number, trace?: (line: string) => void): Promise<FoundingSimResult> {
  const tickMs = 10;
  const electionTicks = 10;
  const electionMs = tickMs * electionTicks;
  const root = new Xoshiro128(seed ^ 0x5f0d);
  const r = root.fork();
  const clock = new VirtualClock();
  const net = new Network<Uint8Array>(root.fork(), { minDelay: 1, maxDelay: 5, dropRate: 0.02, duplicateRate: 0.01, reorderRate: 0.02, reorderDelay: 5 });
  const withRoom = r.chance(0.75);
  const room = withRoom ? new SharedRoomRecord() : undefined;
  const cluster = new RuntimeCluster({
    clock, net, rng: root.fork(), tickMs, electionTicks, snapshotEntries: 10_000, graceMs: 6 * electionMs, maxWriteMs: 4,
    bug: undefined, onWrite: () => {}, trace, ...(room && { room }),
  });
  const founders = 2 + r.int(2);
  const ids = Array.from({ length: founders }, (_, i) => `f${i + 1}`);
  const apart = r.chance(0.6);
  const healAt = r.range(200, 1500);
  const forgetAt = room && r.chance(0.6) ? r.range(300, 2000) : undefined;
  const quietAt = 2500;
  const endAt = 4500;
  const settledAt = quietAt + 4 * electionMs;
  const acks: Ack[] = [];
  const forks: { node: string; clusterId: string; survivorId: string; at: number }[] = [];
  const forkedAt = new Map<KvNode, number>();
  const watched = new WeakSet<KvNode>();
  let exception: string | null = null;

  const onFork = (id: string, node: KvNode, e: ForkEvent): void => {
    if (forkedAt.has(node)) return;
    forkedAt.set(node, clock.now);
    forks.push({ node: id, clusterId: e.clusterId, survivorId: e.survivorId, at: clock.now });
    cluster.line(`${id} FORKED: ${e.clusterId} lost to ${e.survivorId} (${e.entries.length} entries handed over)`);
  };
  const watchAll = (): void => {
    for (const s of cluster.live()) {
      const node = s.inc!.node!;
      if (watched.has(node)) continue;
      watched.add(node);
      node.on('fork', (e) => onFork(s.id, node, e));
      if (node.forked) onFork(s.id, node, node.forked);
    }
  };

  if (apart) net.partition(ids.map((id) => [id]));
  for (const id of ids) clock.at(r.range(0, 3 * electionMs), 'sim', () => cluster.add(id, true));
  const joiners = 1 + r.int(2);
  for (let i = 0; i < joiners; i++) clock.at(r.range(50, 1800), 'sim', () => cluster.add(`j${i + 1}`, false));
  clock.at(healAt, 'sim', () => {
    net.heal();
    cluster.line('partition healed');
    cluster.network.refresh();
  });
  if (room && forgetAt !== undefined) {
    clock.at(forgetAt, 'sim', () => {
      room.forget();
      cluster.line('the signaling server forgot the room (restarted without --data)');
    });
    clock.at(forgetAt + r.range(20, 300), 'sim', () => {
      room.reannounce((views) => r.shuffle(views));
      cluster.line(`the room learned ${room.get() ?? 'nothing'} again from the re-announces`);
    });
  }
  if (r.chance(0.5)) {
    const victim = r.pick(ids);
    clock.at(r.range(100, 2000), 'sim', () => cluster.crash(victim, 'between events', 'between-events'));
    clock.at(r.range(2000, quietAt), 'sim', () => {
      const s = cluster.slots.get(victim);
      if (s && s.inc === undefined) cluster.start(s);
    });
  }
  // A fresh node given a lost history's id (an old board link) while the room records the
  // survivor: it must hold back (status().linkConflict), never adopt the lost id.
  let linkJoiner: { id: string; linked: string } | undefined;
  clock.at(quietAt, 'sim', () => {
    const recorded = room?.get();
    const lost = forks.find((f) => f.clusterId !== recorded);
    if (recorded === undefined || !lost) return;
    linkJoiner = { id: 'l1', linked: lost.clusterId };
    cluster.add('l1', false, lost.clusterId);
  });
  let n = 0;
  clock.at(tickMs, 'sim', () => {
    watchAll();
    const live = cluster.live();
    if (live.length === 0 || !r.chance(0.3)) return;
    const s = r.pick(live);
    const node = s.inc!.node!;
    node.propose({ type: 'put', key: new TextEncoder().encode('k'), value: new TextEncoder().encode(`${s.id}.${++n}`) }, { timeoutMs: 4 * electionMs }).then(
      () => acks.push({ node: s.id, clusterId: node.clusterId, at: clock.now, forkedAt: forkedAt.get(node) }),
      () => {},
    );
  }, tickMs);

  let events = 0;
  try {
    for (;;) {
      const tc = clock.nextAt();
      const tn = net.nextDeliveryAt();
      const t = tc === undefined ? tn : tn === undefined ? tc : Math.min(tc, tn);
      if (t === undefined || t > endAt) break;
      clock.advanceTo(t);
      for (const e of cluster.network.due()) {
        ++events;
        cluster.network.deliver(e);
        await macrotask();
      }
      for (let fn = clock.takeDue(); fn !== undefined; fn = clock.takeDue()) {
        ++events;
        fn();
        await macrotask();
      }
    }
  } catch (e) {
    exception = `founding seed ${seed} event ${events} at ${clock.now}ms: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  watchAll();
  const end = cluster.live().map((s) => ({ node: s.id, clusterId: s.inc!.node!.clusterId, forked: s.inc!.node!.forked !== null }));
  for (const s of cluster.live()) clock.kill(s.inc!.owner);
  const problems = exception ? [] : checkFounding(acks, forks, end, room?.get(), settledAt);
  const l = linkJoiner && cluster.node(linkJoiner.id);
  if (!exception && linkJoiner && l) {
    const st = l.status();
    if (st.clusterId !== null || st.linkConflict?.linked !== linkJoiner.linked) {
      problems.push(`link-joiner: l1 linked to lost ${linkJoiner.linked} ended with cluster ${st.clusterId}, linkConflict ${JSON.stringify(st.linkConflict)}`);
    }
  }
  if (cluster.stats.fatalErrors.length > 0) problems.push(...cluster.stats.fatalErrors);
  const alive = end.filter((e) => !e.forked && e.clusterId !== null);
  return {
    seed,
    verdict: exception ? 'exception' : problems.length ? 'violation' : 'ok',
    detail: exception ?? problems.slice(0, 5).join('\n'),
    founders,
    room: withRoom,
    forgot: forgetAt !== undefined,
    forks: forks.length,
    acks: acks.length,
    survivor: alive[0]?.clusterId ?? null,
  };
}

export function formatFoundingVerdictLine(f: FoundingSimResult): string {
  return `seed ${f.seed}: founding founders=${f.founders} room=${f.room ? (f.forgot ? 'forgets' : 'keeps') : 'none'} forks=${f.forks} acks=${f.acks} -> ${f.verdict === 'ok' ? 'OK' : f.verdict.toUpperCase()}`;
}
