/**
 * @module memory-network
 * The reference Transport: peers in one process, optional latency and seeded loss, and link
 * cuts for partition tests. With `loss: 0` it is reliable and in order per pair (equal delays
 * keep timer order); with loss it is not (the contract suite then skips order checks).
 */
import { Emitter } from '../emitter.js';
import type { RoomRecordState, SharedRoomRecord } from '../room-record.js';
import type { LinkInfo, PeerId, Transport, TransportEvents } from '../transport.js';

export interface MemoryNetworkOptions {
  /** One-way delivery delay; 0 delivers on a microtask-free macrotask (still async). */
  readonly latencyMs?: number;
  /** Probability in [0, 1] that a frame is dropped. */
  readonly loss?: number;
  /** Random source for loss (inject a seeded one). */
  readonly random?: () => number;
  /** Frames above this size are refused by send() (default: unlimited). */
  readonly maxFrameBytes?: number;
  /** A room record every transport of this network shares (as peers of one signaling room do). */
  readonly room?: SharedRoomRecord;
}

export interface MemoryNetwork {
  /** Create (join) a peer. Throws RangeError when the id is already live on this network. */
  transport(peer: PeerId): Transport;
  /** Cut the link a<->b (both directions): frames are dropped, peers see each other as down. */
  cut(a: PeerId, b: PeerId): void;
  /** Restore a cut link. */
  heal(a: PeerId, b: PeerId): void;
  /** Peers currently on the network. */
  peers(): PeerId[];
  /** Frames delivered / dropped so far (for tests and the simulator). */
  stats(): { delivered: number; dropped: number };
}

export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const latency = options.latencyMs ?? 0;
  const loss = options.loss ?? 0;
  const random = options.random ?? Math.random;
  const maxBytes = options.maxFrameBytes ?? Infinity;
  const nodes = new Map<PeerId, MemoryTransport>();
  const cuts = new Set<string>();
  const counters = { delivered: 0, dropped: 0 };
  const key = (a: PeerId, b: PeerId): string => (a < b ? `${a}\0${b}` : `${b}\0${a}`);
  const linked = (a: PeerId, b: PeerId): boolean => !cuts.has(key(a, b));

  class MemoryTransport implements Transport {
    readonly events = new Emitter<TransportEvents>();
    /** Peers this node currently considers up. */
    readonly up = new Set<PeerId>();
    closed = false;
    readonly room: (RoomRecordState & { detach(): void }) | undefined = options.room?.view();

    constructor(readonly self: PeerId) {}

    send(to: PeerId, frame: Uint8Array): boolean {
      if (this.closed || !this.up.has(to) || frame.length > maxBytes) return false;
      if (loss > 0 && random() < loss) {
        counters.dropped++;
        return true; // lost on the wire: the sender cannot tell
      }
      // Copy: the sender may reuse its buffer, and real networks do not share memory.
      const copy = frame.slice();
      const from = this.self;
      setTimeout(() => {
        const target = nodes.get(to);
        if (!target || target.closed || !linked(from, to) || !target.up.has(from)) {
          counters.dropped++;
          return;
        }
        counters.delivered++;
        target.events.emit('frame', from, copy);
      }, latency);
      return true;
    }

    on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
      return this.events.on(event, listener);
    }

    links(): LinkInfo[] {
      return [...nodes.keys()]
        .filter((p) => p !== this.self)
        .map((peer) => ({ peer, state: this.up.has(peer) ? 'memory' : 'down', rttMs: this.up.has(peer) ? 2 * latency : null }));
    }

    setUp(peer: PeerId, up: boolean): void {
      if (this.closed || this.up.has(peer) === up) return;
      if (up) this.up.add(peer);
      else this.up.delete(peer);
      this.events.emit(up ? 'peer-up' : 'peer-down', peer);
      this.events.emit('link', { peer, state: up ? 'memory' : 'down', rttMs: up ? 2 * latency : null });
    }

    async close(): Promise<void> {
      if (this.closed) return;
      for (const p of [...this.up]) this.setUp(p, false);
      this.closed = true;
      this.room?.detach();
      nodes.delete(this.self);
      for (const other of nodes.values()) other.setUp(this.self, false);
      this.events.clear();
    }
  }

  /** Presence changes are async (like a real network) so listeners attached after creation see them. */
  const announce = (fn: () => void): void => void setTimeout(fn, 0);

  return {
    transport(peer) {
      if (nodes.has(peer)) throw new RangeError(`peer "${peer}" already exists on this memory network`);
      const node = new MemoryTransport(peer);
      nodes.set(peer, node);
      announce(() => {
        if (node.closed) return;
        for (const other of nodes.values()) {
          if (other === node || !linked(peer, other.self)) continue;
          node.setUp(other.self, true);
          other.setUp(peer, true);
        }
      });
      return node;
    },
    cut(a, b) {
      cuts.add(key(a, b));
      nodes.get(a)?.setUp(b, false);
      nodes.get(b)?.setUp(a, false);
    },
    heal(a, b) {
      if (!cuts.delete(key(a, b))) return;
      const na = nodes.get(a);
      const nb = nodes.get(b);
      if (!na || !nb) return;
      announce(() => {
        if (!linked(a, b)) return;
        na.setUp(b, true);
        nb.setUp(a, true);
      });
    },
    peers: () => [...nodes.keys()],
    stats: () => ({ ...counters }),
  };
}
