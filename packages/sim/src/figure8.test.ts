/**
 * Raft paper §5.4.2, Figure 8, scripted on the simulator: a leader must not count replicas to
 * commit an entry from an earlier term, or a later leader can overwrite it. The script drives
 * five nodes (plain Raft: no PreVote/CheckQuorum, no ticks, elections by campaign()) into the
 * figure's situation; the safety checker must stay quiet. Against a core that commits old-term
 * entries by counting replicas, it reports leader-completeness (checked in a scratch copy).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { encodeCommand } from './commands.js';
import { RELIABLE_NETWORK } from './network.js';
import { Xoshiro128 } from './random.js';
import type { SimNode } from './sim-node.js';

describe('Raft paper §5.4.2 (Figure 8) on the simulator', () => {
  it('an entry from an earlier term is never committed by counting replicas', () => {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const trace: string[] = [];
    const c = new Cluster({
      ids,
      electionTick: 10,
      heartbeatTick: 1,
      sessionTtl: 1000,
      snapshotEvery: 0,
      snapshotChunkSize: 64,
      maxSizePerMsg: 1, // one entry per MsgApp, so a follower can hold entry 2 without entry 3
      network: RELIABLE_NETWORK,
      preVote: false,
      checkQuorum: false,
      rng: new Xoshiro128(8),
      trace: (line) => trace.push(line),
      traceMessages: true,
    });
    const [n1, n2, n3, n4, n5] = ids.map((id) => c.node(id)) as [SimNode, SimNode, SimNode, SimNode, SimNode];
    // No ticks: nothing happens unless the script says so.
    const round = (beforeReadies?: () => void) => {
      c.now++;
      c.deliver();
      beforeReadies?.();
      c.processReadies();
    };
    const until = (what: string, done: () => boolean, step: () => void = () => round()) => {
      for (let i = 0; i < 50 && !done(); i++) step();
      expect(done(), `${what}\n${trace.join('\n')}`).toBe(true);
    };
    const isolate = (n: SimNode, from: SimNode[]) => {
      for (const o of from) {
        c.net.cut(n.id, o.id);
        c.net.cut(o.id, n.id);
      }
    };
    /** Campaigns (again, one term higher, if a round trip did not settle it) until `n` leads. */
    const elect = (n: SimNode) => {
      for (let attempt = 0; attempt < 5 && !n.isLeader(); attempt++) {
        n.raw!.campaign();
        for (let r = 0; r < 4 && !n.isLeader(); r++) round();
      }
      expect(n.isLeader(), `${n.id} leads\n${trace.join('\n')}`).toBe(true);
    };
    c.startAll();

    // (a) n1 leads term 1 and replicates entry 2 to n2 only.
    elect(n1);
    until('all hold entry 1', () => c.nodes.every((n) => n.disk.lastIndex() >= 1));
    isolate(n1, [n3, n4, n5]);
    n1.raw!.propose(encodeCommand({ t: 'mark', id: 'figure-8' }));
    until('n2 holds entry 2', () => n2.disk.lastIndex() >= 2);
    c.crash(n1, 'after replicating entry 2 to n2');

    // (b) n5 leads term 2 with votes from n3, n4 and appends its own entry 2, sent nowhere.
    c.net.heal();
    isolate(n5, [n2]);
    until(
      'n5 leads term 2',
      () => n5.isLeader(),
      () => {
        if (n5.status()!.role === 'follower') n5.raw!.campaign();
        round(() => {
          if (n5.isLeader()) isolate(n5, [n2, n3, n4]);
        });
      },
    );
    until('n5 persisted its entry 2', () => n5.disk.lastIndex() >= 2);
    c.crash(n5, 'before replicating its entry 2');
    round(); // its messages still in flight hit the cut links and are lost

    // (c) n1 restarts and leads a later term with n3, n4; it replicates its old entry 2 to
    // both, and is cut off and crashes before its own term's entry reaches them.
    c.net.heal();
    c.restart(n1);
    isolate(n1, [n2]);
    elect(n1);
    until('n3, n4 hold the old entry 2', () => n3.disk.lastIndex() >= 2 && n4.disk.lastIndex() >= 2 && n3.disk.term(2) === 1 && n4.disk.term(2) === 1);
    c.net.cut(n1.id, n3.id); // one way: their acknowledgements still reach n1
    c.net.cut(n1.id, n4.id);
    round(); // the acknowledgements arrive: a buggy leader would commit entry 2 here
    c.crash(n1, 'before its own entry reached a majority');
    round();

    // (d) n5 restarts and, with a more recent last term than n2, n3, n4, wins and overwrites
    // entry 2 everywhere. Safe only because entry 2 was never committed.
    c.net.heal();
    isolate(n1, [n2, n3, n4, n5]);
    c.restart(n5);
    elect(n5);
    until('n5 overwrote entry 2', () => n3.disk.term(2) === 2 && n4.disk.term(2) === 2);
    expect(c.checker.violations).toEqual([]);
  });
});
