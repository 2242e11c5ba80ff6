/**
 * @module runtime/sim-transport
 * The @meshraft/transport `Transport` contract over the simulator's seeded `Network` (delay,
 * loss, duplication, reordering, symmetric and one-way cuts). Each node incarnation gets its own
 * endpoint; a crash kills it (nothing in or out) and its peers see it go down. Link state follows
 * the cuts: a peer is up while this node can reach it. Every frame sent is shown to `onSend`,
 * which the checks use to see vote grants on the wire.
 */
import type { LinkInfo, PeerId, RoomRecordState, SharedRoomRecord, Transport, TransportEvents } from '@meshraft/transport';
import type { Envelope, Network } from '@meshraft/sim';
import type { VirtualClock } from './virtual-clock.js';

type Listeners = { [E in keyof TransportEvents]: Set<TransportEvents[E]> };

class SimEndpoint implements Transport {
  private readonly listeners: Listeners = { frame: new Set(), 'peer-up': new Set(), 'peer-down': new Set(), link: new Set(), error: new Set() };
  readonly up = new Set<PeerId>();
  dead = false;
  /** The room's record, when the run has one (founding-sim): one view per endpoint. */
  readonly room: (RoomRecordState & { detach(): void }) | undefined;

  constructor(
    readonly self: PeerId,
    private readonly hub: SimNetwork,
  ) {
    this.room = hub.room?.view();
  }

  send(to: PeerId, frame: Uint8Array): boolean {
    if (this.dead || !this.up.has(to)) return false;
    this.hub.send(this.self, to, frame.slice());
    return true;
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    const set = this.listeners[event] as Set<TransportEvents[E]>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  emit<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    if (this.dead) return;
    for (const l of [...(this.listeners[event] as Set<(...a: Parameters<TransportEvents[E]>) => void>)]) l(...args);
  }

  links(): LinkInfo[] {
    return this.hub.peersOf(this.self).map((peer) => ({ peer, state: this.up.has(peer) ? 'memory' : 'down', rttMs: this.up.has(peer) ? 10 : null }));
  }

  async close(): Promise<void> {
    this.hub.detach(this.self, this);
  }
}

export class SimNetwork {
  private readonly endpoints = new Map<PeerId, SimEndpoint>();
  /** Every id ever attached, in order (links() lists them like a signaling room would). */
  private readonly known: PeerId[] = [];

  constructor(
    readonly net: Network<Uint8Array>,
    private readonly clock: VirtualClock,
    private readonly onSend: (from: PeerId, to: PeerId, frame: Uint8Array) => void,
    /** When a paused node resumes (undefined: it runs); frames to it wait until then. */
    private readonly pausedUntil: (id: PeerId) => number | undefined,
    /** A room record every endpoint shares, like a signaling server's (founding-sim). */
    readonly room?: SharedRoomRecord,
  ) {}

  /** A new endpoint for a (re)started node; links come up at the next refresh. */
  attach(id: PeerId): Transport {
    this.endpoints.get(id)?.close().catch(() => {});
    const ep = new SimEndpoint(id, this);
    this.endpoints.set(id, ep);
    if (!this.known.includes(id)) this.known.push(id);
    return ep;
  }

  /** The node crashed or closed its transport: nothing in or out; in-flight frames to it are gone. */
  detach(id: PeerId, ep: Transport | undefined = this.endpoints.get(id)): void {
    const cur = this.endpoints.get(id);
    if (cur === undefined || cur !== ep) return;
    cur.dead = true;
    cur.room?.detach();
    this.endpoints.delete(id);
    this.net.discardTo(id);
  }

  peersOf(id: PeerId): PeerId[] {
    return this.known.filter((p) => p !== id);
  }

  send(from: PeerId, to: PeerId, frame: Uint8Array): void {
    this.onSend(from, to, frame);
    this.net.send(from, to, frame, this.clock.now);
  }

  /** Due frames, in delivery order; deliver each with deliver(). */
  due(): Envelope<Uint8Array>[] {
    return this.net.deliver(this.clock.now);
  }

  deliver(e: Envelope<Uint8Array>): void {
    const ep = this.endpoints.get(e.to);
    if (ep === undefined) return;
    const resume = this.pausedUntil(e.to);
    if (resume !== undefined) {
      this.clock.at(resume, 'sim', () => {
        if (this.endpoints.get(e.to) === ep) ep.emit('frame', e.from, e.message);
      });
      return;
    }
    ep.emit('frame', e.from, e.message);
  }

  /** Brings link states in line with liveness and cuts, emitting peer-up/peer-down/link. */
  refresh(): void {
    for (const id of [...this.endpoints.keys()].sort()) {
      const ep = this.endpoints.get(id);
      if (ep === undefined || ep.dead) continue;
      for (const peer of this.peersOf(id)) {
        const reachable = this.endpoints.has(peer) && this.net.canSend(id, peer);
        if (reachable === ep.up.has(peer)) continue;
        if (reachable) ep.up.add(peer);
        else ep.up.delete(peer);
        ep.emit(reachable ? 'peer-up' : 'peer-down', peer);
        ep.emit('link', { peer, state: reachable ? 'memory' : 'down', rttMs: reachable ? 10 : null });
      }
    }
  }
}
