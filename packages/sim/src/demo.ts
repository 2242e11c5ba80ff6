/**
 * @module demo
 * A narrated run of a 5-node simulated cluster (`pnpm demo`): it elects a leader, commits writes,
 * loses the leader to a crash, re-elects, splits off a minority with a partition, heals, and
 * finally checks the client history for linearizability. Scripted, not random: the seed only
 * drives election jitter and message order, so the story is the same every time.
 */
import { Cluster } from './cluster.js';
import { checkOperations } from './linearizability/check.js';
import { kvModel, type KvInput } from './linearizability/kv-model.js';
import { Xoshiro128 } from './random.js';
import type { SimNode } from './sim-node.js';
import { Workload } from './workload.js';

const seed = Number(process.argv[process.argv.indexOf('--seed') + 1] ?? 1) || 1;
const say = (line: string) => console.log(line);
const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const rng = new Xoshiro128(seed);
let clock = 0;

const cluster = new Cluster({
  ids,
  electionTick: 10,
  heartbeatTick: 1,
  sessionTtl: 100_000,
  snapshotEvery: 20,
  snapshotChunkSize: 64,
  network: { minDelay: 1, maxDelay: 2, dropRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelay: 0 },
  rng: rng.fork(),
  // Only the events worth narrating; the full trace is `pnpm sim --seed N --verbose`.
  trace: (line) => {
    if (/is leader|crashes|restarts|<-|gives up|registered/.test(line)) say(`  ${line}`);
  },
});
const workload = new Workload(
  rng.fork(),
  { clients: 2, keys: 2, opRate: 0, timeout: 40, retryRate: 0, maxAttempts: 1, readIndexRate: 1 },
  cluster.nodes,
  () => clock++,
  cluster.trace,
);
cluster.listen({
  onApplied: (node, outcome) => workload.onApplied(node, outcome),
  onRead: (readId, output) => workload.onRead(readId, output),
});

/** Runs ticks until `done()` or `max` ticks pass; returns the ticks taken. */
function runUntil(done: () => boolean, max = 300): number {
  const start = cluster.now;
  while (!done() && cluster.now - start < max) {
    cluster.now++;
    cluster.deliver();
    cluster.tickNodes();
    workload.tick(cluster.now);
    cluster.processReadies();
    if (!cluster.checker.ok) {
      for (const v of cluster.checker.violations) say(`SAFETY VIOLATION: ${v.kind}: ${v.message}`);
      process.exit(1);
    }
  }
  return cluster.now - start;
}

function leader(): SimNode {
  const l = cluster.leader();
  if (l === undefined) throw new Error('unreachable: no leader after waiting for one');
  return l;
}

function call(client: number, input: KvInput, node: SimNode): void {
  if (!workload.submit(client, input, node, cluster.now)) say(`  ${node.id} refused the request`);
  runUntil(() => workload.idle(client), 60);
}

const follower = (not: readonly string[]) => cluster.nodes.find((n) => n.alive && !not.includes(n.id))!;

say(`meshraft demo (seed ${seed}): a simulated 5-node cluster, deterministic, no real network or disk`);
say('');
say('1. Five nodes start as followers; the first election timeout starts an election.');
cluster.startAll();
const t1 = runUntil(() => cluster.leader() !== undefined);
say(`   -> ${leader().id} leads term ${leader().status()!.term} after ${t1} ticks.`);
runUntil(() => workload.idle(0) && workload.idle(1));

say('');
say('2. Clients write through the leader and through followers (which forward to the leader).');
const l1 = leader();
call(0, { kind: 'put', key: 'x', value: '1' }, l1);
call(1, { kind: 'put', key: 'y', value: 'a' }, follower([l1.id]));
call(0, { kind: 'cas', key: 'x', expected: '1', value: '2' }, l1);
call(1, { kind: 'get', key: 'x' }, follower([l1.id]));
say(`   -> commit index ${l1.status()!.commit}; every node applied: ${cluster.nodes.map((n) => `${n.id}@${n.applied}`).join(' ')}`);

say('');
say(`3. The leader ${l1.id} crashes. The others notice the silence and elect a new leader.`);
cluster.crash(l1, 'on purpose');
const t3 = runUntil(() => cluster.leader() !== undefined);
const l2 = leader();
say(`   -> ${l2.id} leads term ${l2.status()!.term}, ${t3} ticks after the crash.`);
call(0, { kind: 'put', key: 'x', value: '3' }, l2);
cluster.restart(l1);
runUntil(() => l1.applied >= l2.applied, 100);
say(`   -> ${l1.id} restarted from its disk and caught up to index ${l1.applied}.`);

say('');
const minority = [l2.id, follower([l2.id]).id];
const majority = ids.filter((id) => !minority.includes(id));
say(`4. A partition cuts the leader ${l2.id} off with one follower: [${minority.join(' ')}] | [${majority.join(' ')}].`);
cluster.net.partition([minority, majority]);
say(`   A client writes to ${l2.id} right away; it can append the entry but never reach a majority.`);
call(0, { kind: 'put', key: 'x', value: 'lost?' }, l2);
say('   -> no answer before the client times out: it records the outcome as unknown (indeterminate).');
runUntil(() => cluster.nodes.some((n) => majority.includes(n.id) && n.isLeader()));
const l3 = cluster.nodes.find((n) => majority.includes(n.id) && n.isLeader())!;
say(`   -> meanwhile the majority elected ${l3.id} for term ${l3.status()!.term}; ${l2.id} is now ${l2.status()!.role} (check-quorum made it step down).`);
call(1, { kind: 'put', key: 'y', value: 'b' }, l3);

say('');
say('5. The partition heals; the old minority catches up, dropping its uncommitted entries.');
cluster.net.heal();
runUntil(() => cluster.nodes.every((n) => n.applied >= l3.applied), 200);
say(`   -> applied everywhere: ${cluster.nodes.map((n) => `${n.id}@${n.applied}`).join(' ')}`);
for (const n of cluster.nodes) call(n.id === 'n1' ? 0 : 1, { kind: 'get', key: 'x' }, n);

say('');
const history = workload.history();
const res = checkOperations(kvModel, history);
say(`6. Checks: ${cluster.checker.ok ? 'every Raft safety invariant held at every step' : 'SAFETY VIOLATED'}; ` +
  `the history of ${history.length} client operations is ${res.verdict === 'ok' ? 'linearizable' : res.verdict.toUpperCase()} ` +
  `(${res.steps} search steps).`);
process.exitCode = cluster.checker.ok && res.verdict === 'ok' ? 0 : 1;
