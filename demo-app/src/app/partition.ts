/**
 * @module partition
 * A transport wrapper with a switch that cuts this tab off from every peer (the demo's
 * "Disconnect" control, a simulated partition): frames are dropped both ways and links read
 * `down`, while the real connections stay up so reconnecting is instant.
 */
import type { LinkInfo, PeerId, Transport, TransportEvents } from '@meshraft/transport';

export interface PartitionableTransport extends Transport {
  readonly partitioned: boolean;
  setPartitioned(on: boolean): void;
}

export function partitionable(inner: Transport): PartitionableTransport {
  let cut = false;
  const linkListeners = new Set<TransportEvents['link']>();
  const upListeners = new Set<TransportEvents['peer-up']>();
  const downListeners = new Set<TransportEvents['peer-down']>();
  const shown = (l: LinkInfo): LinkInfo => (cut ? { peer: l.peer, state: 'down', rttMs: null } : l);
  return {
    self: inner.self,
    get partitioned() {
      return cut;
    },
    setPartitioned(on: boolean) {
      if (on === cut) return;
      cut = on;
      for (const l of inner.links()) {
        for (const f of linkListeners) f(shown(l));
        for (const f of on ? downListeners : upListeners) f(l.peer);
      }
    },
    send(to: PeerId, frame: Uint8Array) {
      return cut ? false : inner.send(to, frame);
    },
    on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
      if (event === 'frame') {
        const f = listener as TransportEvents['frame'];
        return inner.on('frame', (from, frame) => {
          if (!cut) f(from, frame);
        });
      }
      if (event === 'link') {
        const f = listener as TransportEvents['link'];
        linkListeners.add(f);
        const off = inner.on('link', (info) => f(shown(info)));
        return () => {
          linkListeners.delete(f);
          off();
        };
      }
      if (event === 'peer-up' || event === 'peer-down') {
        const set = event === 'peer-up' ? upListeners : downListeners;
        const f = listener as TransportEvents['peer-up'];
        set.add(f);
        const relay = (peer: PeerId): void => {
          if (!cut) f(peer);
        };
        const off = event === 'peer-up' ? inner.on('peer-up', relay) : inner.on('peer-down', relay);
        return () => {
          set.delete(f);
          off();
        };
      }
      return inner.on(event, listener);
    },
    links() {
      return inner.links().map(shown);
    },
    close() {
      return inner.close();
    },
  };
}
