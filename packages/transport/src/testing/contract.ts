/**
 * @module contract
 * The Transport contract suite, run against every adapter (memory, relay, WebRTC):
 *
 *   describeTransportContract('memory', async () => { ...; return { add, teardown } }, { ... })
 *
 * `add(peer)` creates one more transport on the adapter's network (same cluster/room) and resolves
 * once it exists (not necessarily connected). Listeners attached right after `add` resolves must
 * not miss later events. Every case builds a fresh network and tears it down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkState, PeerId, Transport } from '../transport.js';
import { seededRandom, until } from './wait.js';

export interface ContractNetwork {
  add(peer: PeerId): Promise<Transport>;
  teardown(): Promise<void>;
}

export interface TransportContractOptions {
  /** Reliable, in-order adapters are checked for order and completeness (default true). */
  readonly reliable?: boolean;
  /** Largest frame the adapter promises to carry; the suite sends one of exactly this size. */
  readonly maxFrameBytes: number;
  /** Link states that mean "up" for this adapter (e.g. ['memory'], ['relay', 'webrtc']). */
  readonly upStates: readonly LinkState[];
  /** How long to wait for events before failing (default 10 s). */
  readonly timeoutMs?: number;
  /** Seed of the random frame contents. */
  readonly seed?: number;
}

export function describeTransportContract(
  name: string,
  makeNetwork: () => Promise<ContractNetwork>,
  options: TransportContractOptions,
): void {
  const reliable = options.reliable ?? true;
  const timeout = options.timeoutMs ?? 10_000;
  const seed = options.seed ?? 7;
  let network: ContractNetwork | null = null;

  const fresh = async (): Promise<ContractNetwork> => {
    network = await makeNetwork();
    return network;
  };

  const isUp = (t: Transport, peer: PeerId): boolean =>
    t.links().some((l) => l.peer === peer && options.upStates.includes(l.state));

  const meshUp = (ts: readonly Transport[]): Promise<void> =>
    until(() => ts.every((t) => ts.every((o) => o === t || isUp(t, o.self))), `full mesh of ${ts.map((t) => t.self).join(',')}`, timeout);

  const collect = (t: Transport): [PeerId, Uint8Array][] => {
    const got: [PeerId, Uint8Array][] = [];
    t.on('frame', (from, frame) => got.push([from, frame.slice()]));
    return got;
  };

  /** Index of the first differing frame, or -1 (deep toEqual on big typed arrays is slow). */
  const firstMismatch = (got: readonly Uint8Array[], sent: readonly Uint8Array[]): number => {
    for (let i = 0; i < Math.max(got.length, sent.length); i++) {
      const g = got[i];
      const s = sent[i];
      if (!g || !s || g.length !== s.length || !g.every((v, j) => v === s[j])) return i;
    }
    return -1;
  };

  const frameOf = (random: () => number, size: number, tag: number): Uint8Array => {
    const f = new Uint8Array(size);
    // Random words rather than bytes: 4x fewer generator calls for the large frame.
    const view = new DataView(f.buffer);
    for (let i = 0; i + 4 <= size; i += 4) view.setUint32(i, Math.floor(random() * 2 ** 32));
    for (let i = size & ~3; i < size; i++) f[i] = Math.floor(random() * 256);
    if (size >= 4) new DataView(f.buffer).setUint32(0, tag);
    return f;
  };

  describe(`Transport contract: ${name}`, () => {
    afterEach(async () => {
      const n = network;
      network = null;
      await n?.teardown();
    });

    it('reports peers as up in links() and fires peer-up for peers that join later', async () => {
      const net = await fresh();
      const a = await net.add('a');
      const b = await net.add('b');
      await meshUp([a, b]);
      const ups: PeerId[] = [];
      a.on('peer-up', (p) => ups.push(p));
      const linkEvents: string[] = [];
      a.on('link', (l) => linkEvents.push(`${l.peer}:${l.state}`));
      const c = await net.add('c');
      await meshUp([a, b, c]);
      await until(() => ups.includes('c'), 'peer-up(c) at a', timeout);
      expect(ups).toEqual(['c']);
      expect(linkEvents.some((e) => e.startsWith('c:'))).toBe(true);
      expect(a.self).toBe('a');
      for (const link of a.links()) {
        expect(['b', 'c']).toContain(link.peer);
        expect(link.rttMs === null || link.rttMs >= 0).toBe(true);
      }
    });

    it('delivers frames intact (and, if reliable, complete and in order per pair)', async () => {
      const net = await fresh();
      const [a, b, c] = [await net.add('a'), await net.add('b'), await net.add('c')];
      await meshUp([a, b, c]);
      const atB = collect(b);
      const atC = collect(c);
      const random = seededRandom(seed);
      const sentAB: Uint8Array[] = [];
      const sentCB: Uint8Array[] = [];
      const sentAC: Uint8Array[] = [];
      for (let i = 0; i < 200; i++) {
        const size = 4 + Math.floor(random() * 2000);
        const ab = frameOf(random, size, i);
        const cb = frameOf(random, 4 + (i % 50), 1000 + i);
        const ac = frameOf(random, 4, 2000 + i);
        // Backpressure-free adapters accept every send; others may refuse when full.
        if (a.send('b', ab)) sentAB.push(ab);
        if (c.send('b', cb)) sentCB.push(cb);
        if (a.send('c', ac)) sentAC.push(ac);
      }
      const fromTo = (got: [PeerId, Uint8Array][], from: PeerId) => got.filter(([f]) => f === from).map(([, p]) => p);
      if (reliable) {
        expect(sentAB.length).toBe(200);
        await until(() => atB.length === sentAB.length + sentCB.length && atC.length === sentAC.length, 'all frames', timeout);
        expect(firstMismatch(fromTo(atB, 'a'), sentAB)).toBe(-1);
        expect(firstMismatch(fromTo(atB, 'c'), sentCB)).toBe(-1);
        expect(firstMismatch(fromTo(atC, 'a'), sentAC)).toBe(-1);
      } else {
        await until(() => atB.length > 0, 'some frames', timeout);
        const sent = new Set([...sentAB, ...sentCB].map((f) => f.join(',')));
        for (const [, f] of atB) expect(sent.has(f.join(','))).toBe(true);
      }
    });

    it('delivers frames of the maximum size intact', async () => {
      const net = await fresh();
      const [a, b] = [await net.add('a'), await net.add('b')];
      await meshUp([a, b]);
      const atB = collect(b);
      const big = frameOf(seededRandom(seed + 1), options.maxFrameBytes, 1);
      const small = frameOf(seededRandom(seed + 2), 10, 2);
      expect(a.send('b', big)).toBe(true);
      expect(a.send('b', small)).toBe(true);
      if (!reliable) return;
      await until(() => atB.length === 2, 'large frame', timeout);
      expect(firstMismatch(atB.map(([, f]) => f), [big, small])).toBe(-1);
    });

    it('returns false for a peer that is not known', async () => {
      const net = await fresh();
      const [a, b] = [await net.add('a'), await net.add('b')];
      await meshUp([a, b]);
      expect(a.send('nobody', new Uint8Array([1]))).toBe(false);
      expect(a.send(a.self, new Uint8Array([1]))).toBe(false);
    });

    it('fires peer-down when a peer closes; close stops delivery both ways', async () => {
      const net = await fresh();
      const [a, b, c] = [await net.add('a'), await net.add('b'), await net.add('c')];
      await meshUp([a, b, c]);
      const atB = collect(b);
      const atC = collect(c);
      const downs: PeerId[] = [];
      a.on('peer-down', (p) => downs.push(p));
      await b.close();
      await until(() => downs.includes('b'), 'peer-down(b) at a', timeout);
      await until(() => !isUp(a, 'b'), 'b no longer up in a.links()', timeout);
      expect(a.send('b', new Uint8Array([9]))).toBe(false);
      expect(b.send('a', new Uint8Array([9]))).toBe(false);
      // Barrier: once c has a later frame from a, anything still headed to b would have landed.
      expect(a.send('c', new Uint8Array([1, 2, 3, 4]))).toBe(true);
      if (reliable) await until(() => atC.length === 1, 'barrier frame at c', timeout);
      expect(atB).toEqual([]);
      expect(isUp(c, 'a')).toBe(true);
      await b.close(); // idempotent
    });
  });
}
