/** Log replication: repair with conflict hints, batching, pipelining, probe/replicate (§5.3). */
import { describe, expect, it } from 'vitest';
import type { Message } from './messages.js';
import { ProgressState } from './progress.js';
import { Network, enc } from './__tests__/network.js';

const ABC = ['a', 'b', 'c'];

function logTerms(net: Network, id: string): number[] {
  const s = net.get(id).storage;
  const out: number[] = [];
  for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
  return out;
}

describe('log repair', () => {
  it('repairs a follower with a long conflicting suffix in few round trips', () => {
    const net = new Network(ABC);
    net.elect('a');
    // a, isolated with b unreachable, accepts many entries it can never commit.
    net.isolate('a');
    for (let i = 0; i < 50; i++) net.node('a').propose(enc(`lost${i}`));
    net.stabilize();
    net.recover();
    net.isolate('a');
    // b and c hold a's lease until an election timeout passes; then b takes over.
    net.tickAll(10);
    net.elect('b');
    expect(net.leader()).toBe('b');
    for (let i = 0; i < 5; i++) net.node('b').propose(enc(`kept${i}`));
    net.stabilize();
    net.recover();
    let rejects = 0;
    net.filter = (m: Message) => {
      if (m.type === 'appResp' && m.reject) rejects++;
      return true;
    };
    net.tickAll(3);
    expect(net.leader()).toBe('b');
    expect(logTerms(net, 'a')).toEqual(logTerms(net, 'b'));
    expect(net.appliedData('a')).toEqual(['kept0', 'kept1', 'kept2', 'kept3', 'kept4']);
    // The term hint skips all 50 conflicting entries at once.
    expect(rejects).toBeLessThanOrEqual(2);
  });

  it('a follower that missed entries catches up after a partition heals', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 20; i++) net.node('a').propose(enc(`${i}`));
    net.stabilize();
    expect(net.appliedData('c')).toEqual([]);
    net.recover();
    net.tickAll(2);
    expect(net.appliedData('c')).toEqual(net.appliedData('a'));
    expect(net.appliedData('a')).toHaveLength(20);
  });

  it('lost messages are recovered by heartbeats and probes', () => {
    const net = new Network(ABC, {}, 7);
    net.elect('a');
    net.drop('a', 'b', 0.5);
    net.drop('b', 'a', 0.5);
    for (let i = 0; i < 30; i++) {
      net.node('a').propose(enc(`${i}`));
      net.tickAll(1);
    }
    net.recover();
    net.tickAll(5);
    expect(net.appliedData('b')).toEqual(net.appliedData('a'));
    expect(net.appliedData('a')).toHaveLength(30);
  });
});

describe('flow control', () => {
  it('batches entries up to maxSizePerMsg per MsgApp', () => {
    const net = new Network(ABC, { maxSizePerMsg: 1000 });
    net.elect('a');
    const sizes: number[] = [];
    net.filter = (m) => {
      if (m.type === 'app' && m.entries.length > 0) sizes.push(m.entries.reduce((s, e) => s + e.data.length, 0));
      return true;
    };
    for (let i = 0; i < 40; i++) net.node('a').propose(new Uint8Array(100));
    net.stabilize();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(Math.max(...sizes)).toBeGreaterThan(500);
    expect(net.get('b').applied).toHaveLength(40);
  });

  it('pipelines at most maxInflightMsgs unacknowledged MsgApps to a follower', () => {
    const net = new Network(ABC, { maxInflightMsgs: 4, maxSizePerMsg: 100 });
    net.elect('a');
    expect(net.node('a').status().progress?.b?.state).toBe(ProgressState.Replicate);
    net.get('b').paused = true; // b's disk stalls: no acks
    net.get('c').paused = true;
    for (let i = 0; i < 20; i++) net.node('a').propose(new Uint8Array(100));
    const apps = net.node('a').ready().messages.filter((m) => m.type === 'app' && m.to === 'b');
    expect(apps).toHaveLength(4);
    expect(net.node('a').status().progress?.b?.inflight).toBe(4);
  });

  it('a follower starts in probe state and moves to replicate after a match', () => {
    const net = new Network(ABC);
    net.elect('a');
    net.isolate('c');
    net.node('a').propose(enc('x'));
    net.stabilize();
    const lead = net.node('a');
    // Re-election resets progress to probe.
    expect(lead.status().progress?.b?.state).toBe(ProgressState.Replicate);
    net.recover();
    net.tickAll(1);
    expect(lead.status().progress?.c?.state).toBe(ProgressState.Replicate);
    expect(lead.status().progress?.c?.match).toBe(lead.status().lastIndex);
  });
});
