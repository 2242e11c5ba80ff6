/**
 * @module node-context
 * What every part of a node shares: its identity, injected dependencies, the core (created at
 * start), the stopped flag, the wake-up of the host loop and the framed send to a peer.
 */
import type { NodeId } from '@meshraft/core';
import type { DurableStorage } from '@meshraft/storage';
import type { Transport } from '@meshraft/transport';
import { Emitter } from '@meshraft/transport';
import type { MeshraftNodeInit, NodeEvents } from './node-types.js';
import type { Logger, ResolvedOptions } from './options.js';
import type { CoreAdapter, RaftCore } from './raft-core.js';
import type { Timers } from './timers.js';
import { encodeFrame, type RuntimePayload } from './wire.js';

export class NodeContext {
  readonly id: NodeId;
  readonly cluster: string;
  readonly storage: DurableStorage;
  readonly transport: Transport;
  readonly adapter: CoreAdapter;
  readonly timers: Timers;
  readonly random: () => number;
  readonly log: Logger;
  readonly opts: ResolvedOptions;
  readonly events: Emitter<NodeEvents>;
  stopped = false;
  /** Wakes the host loop (set by the façade once the loop exists). */
  kick: () => void = () => {};
  /** The cluster id a frame of this kind carries (set by the façade from its ClusterIdentity). */
  clusterIdFor: (kind: RuntimePayload['kind']) => string | null = () => null;
  private raft: RaftCore | undefined;

  constructor(init: MeshraftNodeInit<unknown, unknown, unknown, unknown>) {
    this.id = init.id;
    this.cluster = init.cluster;
    this.storage = init.storage;
    this.transport = init.transport;
    this.adapter = init.core;
    this.timers = init.timers;
    this.random = init.random;
    this.log = init.logger;
    this.opts = init.options;
    this.events = new Emitter<NodeEvents>((err) => this.log.error('event listener threw', { err }));
  }

  get core(): RaftCore {
    return this.raft!;
  }

  set core(core: RaftCore) {
    this.raft = core;
  }

  electionMs(): number {
    return this.opts.timing.tickMs * this.opts.timing.electionTicks;
  }

  /** Frames and sends `payload`; false if it was not sent. */
  send(to: NodeId, payload: RuntimePayload): boolean {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(this.cluster, this.id, to, payload, this.clusterIdFor(payload.kind));
    } catch (err) {
      // Too large for the envelope: dropped like a lost frame; Raft resends what matters.
      this.log.warn('frame not sent', { to, err });
      return false;
    }
    return this.transport.send(to, frame);
  }
}
